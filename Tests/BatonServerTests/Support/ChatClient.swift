import BatonCore
import Foundation
import HummingbirdTesting
import HummingbirdWSTesting
import NIOWebSocket
import WSClient

enum ChatError: Error, CustomStringConvertible {
    case timedOut(waitingFor: String)
    case closed
    case unexpected(String)

    var description: String {
        switch self {
        case .timedOut(let what): "timed out waiting for \(what)"
        case .closed: "the socket closed"
        case .unexpected(let what): what
        }
    }
}

/// Frames received on a test socket, awaited one by one with a deadline (never by sleeping).
actor Inbox {
    private var frames: [JSONValue] = []
    private var waiters: [(id: UUID, continuation: CheckedContinuation<JSONValue?, Never>)] = []
    private var closed = false

    func push(_ frame: JSONValue) {
        if waiters.isEmpty { frames.append(frame) } else { waiters.removeFirst().continuation.resume(returning: frame) }
    }

    func close() {
        closed = true
        for waiter in waiters { waiter.continuation.resume(returning: nil) }
        waiters.removeAll()
    }

    func next(within timeout: Duration) async throws -> JSONValue {
        if !frames.isEmpty { return frames.removeFirst() }
        if closed { throw ChatError.closed }
        let id = UUID()
        let deadline = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            await self?.expire(id)
        }
        defer { deadline.cancel() }
        let frame = await withCheckedContinuation { continuation in waiters.append((id, continuation)) }
        guard let frame else { throw closed ? ChatError.closed : ChatError.timedOut(waitingFor: "a frame") }
        return frame
    }

    /// Frames that arrived and were not read yet.
    func pending() -> [JSONValue] { frames }

    private func expire(_ id: UUID) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(returning: nil)
    }
}

/// A webchat client speaking docs/webchat-protocol.md over a real socket.
struct Chat: Sendable {
    let inbox: Inbox
    let outbound: WebSocketOutboundWriter

    func send(_ frame: JSONValue) async throws {
        try await outbound.write(.text(frame.jsonText))
    }

    /// Sends text as it is, e.g. something that is not JSON.
    func sendRaw(_ text: String) async throws {
        try await outbound.write(.text(text))
    }

    func hello(session: String? = nil, after: Int64 = 0, handoverUpdates: Bool = false, language: String? = nil) async throws -> JSONValue {
        try await send([
            "type": "hello", "session": session.map(JSONValue.string) ?? .null, "after": .number(Double(after)), "handoverUpdates": .bool(handoverUpdates),
            "language": language.map(JSONValue.string) ?? .null,
        ])
        return try await next("ready")
    }

    func say(_ text: String, clientID: String? = nil, payload: String? = nil) async throws {
        var frame: JSONValue = ["type": "message", "text": .string(text)]
        if let clientID { frame = frame.setting(.string(clientID), at: ["clientMessageId"]) }
        if let payload { frame = frame.setting(.string(payload), at: ["payload"]) }
        try await send(frame)
    }

    /// The next frame, whatever its type.
    func frame(within timeout: Duration = .seconds(10)) async throws -> JSONValue {
        try await inbox.next(within: timeout)
    }

    /// The next frame, which must be of `type`.
    func next(_ type: String, within timeout: Duration = .seconds(10)) async throws -> JSONValue {
        let frame = try await inbox.next(within: timeout)
        guard frame["type"] == .string(type) else { throw ChatError.unexpected("expected a '\(type)' frame, got \(frame.jsonText)") }
        return frame
    }

    /// The next frame of `type`, passing over the messages, acks, typing and handover frames a turn sends before it.
    func first(_ type: String, within timeout: Duration = .seconds(10)) async throws -> JSONValue {
        while true {
            let frame = try await inbox.next(within: timeout)
            if frame["type"] == .string(type) { return frame }
            guard ["message", "ack", "typing", "handover"].contains(frame["type"]?.stringText ?? "") else {
                throw ChatError.unexpected("expected a '\(type)' frame, got \(frame.jsonText)")
            }
        }
    }

    /// The message stored for what was just sent with `clientID`, once its `ack` came too: the socket writes the ack
    /// itself and the message through the hub, so either may come first.
    func storedAndAcknowledged(_ clientID: String, within timeout: Duration = .seconds(10)) async throws -> JSONValue {
        var message: JSONValue?
        var acknowledged = false
        while message == nil || !acknowledged {
            let frame = try await inbox.next(within: timeout)
            switch frame["type"] {
            case "message": message = frame["message"]
            case "ack" where frame["clientMessageId"] == .string(clientID): acknowledged = true
            default: throw ChatError.unexpected("expected the message and ack of \(clientID), got \(frame.jsonText)")
            }
        }
        return message ?? .null
    }

    /// The next `count` message objects, skipping acks.
    func messages(_ count: Int, within timeout: Duration = .seconds(10)) async throws -> [JSONValue] {
        var messages: [JSONValue] = []
        while messages.count < count {
            let frame = try await inbox.next(within: timeout)
            switch frame["type"] {
            case "message": messages.append(frame["message"] ?? .null)
            case "ack": continue
            default: throw ChatError.unexpected("expected a message, got \(frame.jsonText)")
            }
        }
        return messages
    }
}

extension Chat {
    /// Follows the session's frames until its live agent messages include every one of `wanted`; returns the live
    /// agent texts in the order the page shows them (a message moved to keep Chatwoot's order is shown at its copy).
    func agentTexts(including wanted: Set<String>, within timeout: Duration = .seconds(30)) async throws -> [String] {
        var shown: [(id: Int64, text: String)] = []
        let deadline = ContinuousClock.now + timeout
        while !wanted.isSubset(of: Set(shown.map(\.text))) {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { throw ChatError.timedOut(waitingFor: "agent messages \(wanted.subtracting(shown.map(\.text)).sorted())") }
            let frame = try await inbox.next(within: left)
            switch frame["type"] {
            case "message":
                guard let message = frame["message"], message["sender"] == "agent", message["retracted"] != .bool(true),
                    message["movedTo"] == nil, let id = message["id"]?.int, let text = message.text
                else { continue }
                shown.append((id, text))
            case "retract":
                if let id = frame["id"]?.int { shown.removeAll { $0.id == id } }
            default:
                continue
            }
        }
        return shown.sorted { $0.id < $1.id }.map(\.text)
    }
}

extension TestClientProtocol {
    /// Opens the webchat socket of `urlToken`, runs `body` with it, then closes it.
    func chat(_ urlToken: String, _ body: @escaping @Sendable (Chat) async throws -> Void) async throws {
        let failure = Failure()
        try await ws("/webchat/\(urlToken)/socket") { inbound, outbound, _ in
            try await Chat.run(inbound: inbound, outbound: outbound, failure: failure, body)
        }
        if let error = await failure.error { throw error }
    }
}

extension Chat {
    /// Runs `body` with a chat over an open socket while every text frame goes to its inbox; closes the socket
    /// when `body` ends. An error of `body` goes to `failure`, so the socket still closes cleanly.
    static func run(
        inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, failure: Failure, _ body: @escaping @Sendable (Chat) async throws -> Void
    ) async throws {
        let inbox = Inbox()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do { try await body(Chat(inbox: inbox, outbound: outbound)) } catch { await failure.set(error) }
                try await outbound.close(.normalClosure, reason: nil)
            }
            for try await message in inbound.messages(maxSize: 1 << 20) {
                if case .text(let text) = message { await inbox.push(try JSONValue(jsonText: text)) }
            }
            await inbox.close()
            try await group.waitForAll()
        }
    }
}

actor Failure {
    var error: (any Error)?
    func set(_ error: any Error) { self.error = self.error ?? error }
}

extension JSONValue {
    var text: String? { if case .string(let value)? = self["text"] { value } else { nil } }
    var int: Int64? { if case .number(let value) = self { Int64(value) } else { nil } }
}
