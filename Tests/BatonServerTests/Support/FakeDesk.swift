import BatonCore
import BatonServer
import Foundation

/// A desk without a desk behind it: opens a fixed conversation (linking it as the Chatwoot desk does) and records
/// what it is asked to post, so the webhook route and the write path can be tested without Chatwoot. The real desk
/// is tested end to end against the Chatwoot stand-in.
final class FakeDesk: Desk, Sendable {
    let store: any SessionStore
    let conversationID: Int
    let accountID: Int
    let recorder = Recorder()
    /// When set, opening waits until the latch opens (to let webhooks overtake the API's answer).
    let openGate: Latch?

    init(store: any SessionStore, accountID: Int = 1, conversationID: Int = 1187, openGate: Latch? = nil) {
        self.store = store
        self.openGate = openGate
        self.accountID = accountID
        self.conversationID = conversationID
    }

    actor Recorder {
        private(set) var posted: [Message] = []
        private(set) var closed: [Int] = []
        private(set) var notes: [String] = []

        func note(_ text: String) { notes.append(text) }
        private var waiters: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []

        func post(_ message: Message) {
            posted.append(message)
            let ready = waiters.filter { $0.count <= posted.count }
            waiters.removeAll { $0.count <= posted.count }
            ready.forEach { $0.continuation.resume() }
        }

        func close(_ id: Int) { closed.append(id) }

        /// Waits until at least `count` messages were posted, or throws after `timeout`.
        func waitForPosts(_ count: Int, timeout: Duration = .seconds(10)) async throws {
            if posted.count >= count { return }
            let deadline = Task { [weak self] in
                try? await Task.sleep(for: timeout)
                await self?.expire()
            }
            defer { deadline.cancel() }
            await withCheckedContinuation { waiters.append((count, $0)) }
            if posted.count < count { throw ChatError.timedOut(waitingFor: "\(count) posts, got \(posted.count)") }
        }

        private func expire() {
            waiters.forEach { $0.continuation.resume() }
            waiters.removeAll()
        }
    }

    func open(_ request: HandoverRequest, number: Int, session: Session, attempt: Int) async -> JobOutcome {
        if let openGate {
            do { try await openGate.wait() } catch { return .retry("cancelled") }
        }
        do {
            try await store.link(endpointID: session.endpointID, conversationKey: "chatwoot:\(accountID):\(conversationID)", to: session.id)
        } catch {
            return .reported(.failedToOpen(number: number, HandoverOutcome(status: .error, reason: .providerUnreachable, detail: "\(error)")))
        }
        return .reported(.opened(number: number, contactID: 4211, conversationID: conversationID, inboxID: 7))
    }

    func post(_ message: Message, handover: HandoverState, session: Session, attempt: Int) async -> JobOutcome {
        await recorder.post(message)
        return .done
    }

    func note(_ text: String, handover: HandoverState, session: Session, attempt: Int) async -> JobOutcome {
        await recorder.note(text)
        return .done
    }

    func close(conversationID: Int, session: Session, attempt: Int) async -> JobOutcome {
        await recorder.close(conversationID)
        return .done
    }
}
