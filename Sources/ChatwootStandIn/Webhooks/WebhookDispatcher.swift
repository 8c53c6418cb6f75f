import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import Synchronization

/// Delivers API-inbox webhooks like `WebhookJob` + `Webhooks::Trigger`: asynchronously, never retried, signed,
/// any non-2xx or transport error is a failure, and a failed message event marks the message `failed`.
final class WebhookDispatcher: Sendable {
    private let state: StandInState
    private let poster: WebhookPoster
    private let logger: Logger
    private let queue = DeliveryQueue<WebhookEvent>()
    private let intake: AsyncStream<WebhookEvent>.Continuation
    private let stream: AsyncStream<WebhookEvent>
    let options: Mutex<WebhookOptions>
    /// Faked failures still to hand out (FIFO).
    private let faults = Mutex<[WebhookFault]>([])

    init(state: StandInState, client: HTTPClient, options: WebhookOptions, logger: Logger) {
        self.state = state
        self.poster = WebhookPoster(state: state, client: client)
        self.logger = logger
        self.options = Mutex(options)
        (stream, intake) = AsyncStream.makeStream(of: WebhookEvent.self)
    }

    /// The synchronous entry point the state hands events to (order preserved).
    func enqueue(_ event: WebhookEvent) { intake.yield(event) }

    func addFaults(_ fault: WebhookFault, count: Int) { faults.withLock { $0 += Array(repeating: fault, count: count) } }
    func clearFaults() { faults.withLock { $0.removeAll() } }

    /// Runs until ``stop()``: one task moves events into the queue, this one delivers them.
    func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [stream, queue] in
                for await event in stream { await queue.append(event) }
                await queue.close()
            }
            group.addTask { [self] in
                while true {
                    let order = options.withLock { $0.order }
                    switch order {
                    case .inOrder:
                        guard let event = await queue.next() else { return }
                        await deliver(event)
                    case .shuffled(let window):
                        guard let batch = await queue.nextShuffledBatch(window: window) else { return }
                        for event in batch { await deliver(event) }
                    }
                }
            }
        }
    }

    /// Stops taking events; queued ones are still delivered before ``run()`` returns.
    func stop() { intake.finish() }

    // MARK: Delivery

    private func deliver(_ event: WebhookEvent) async {
        await attempt(event)
        await state.webhookFinished()
    }

    private func attempt(_ event: WebhookEvent) async {
        let current = options.withLock { $0 }
        guard let prepared = event.frozen ? event.prebuilt : await state.prepareWebhook(event) else { return }
        if current.delay > .zero { try? await Task.sleep(for: current.delay) }
        let deliveryId = UUID().uuidString.lowercased()
        let copies = max(1, current.deliveryCopies)
        for copy in 0..<copies {
            let outcome = await poster.post(
                to: prepared.url, body: prepared.body, secret: prepared.secret, deliveryId: deliveryId, timeout: current.timeout,
                fault: faults.withLock { $0.isEmpty ? nil : $0.removeFirst() })
            await state.recordDelivery(prepared: prepared, deliveryId: deliveryId, outcome: outcome, isDuplicate: copy > 0)
            if let error = outcome.error, let messageId = event.messageId {
                // `Webhooks::Trigger#handle_error` → `Messages::StatusUpdateService(message, 'failed', error.message)`.
                await state.markMessageFailed(messageId: messageId, error: error)
            }
        }
    }

    /// Ruby-flavoured error texts for transport failures (Chatwoot stores `error.message`; the exact SafeFetch
    /// wording is not verified, these follow Net::HTTP's messages).
    static func describe(_ error: any Error, url: String) -> String {
        let host = URL(string: url)?.host ?? ""
        let port = URL(string: url)?.port.map(String.init) ?? ""
        if let clientError = error as? HTTPClientError {
            if clientError == .deadlineExceeded || clientError == .readTimeout {
                return "Net::ReadTimeout with #<TCPSocket:(closed)>"
            }
            if clientError == .connectTimeout { return "Net::OpenTimeout" }
            if clientError == .remoteConnectionClosed { return "end of file reached" }
        }
        let text = String(describing: error)
        if text.localizedCaseInsensitiveContains("refused") {
            return "Failed to open TCP connection to \(host):\(port) (Connection refused - connect(2) for \"\(host)\" port \(port))"
        }
        return text
    }

    static func describe(_ fault: WebhookFault, url: String) -> (Int?, String) {
        switch fault {
        case .status(let code): (code, "\(code) \(HTTPResponseStatus(statusCode: code).reasonPhrase)")
        case .timeout: (nil, "Net::ReadTimeout with #<TCPSocket:(closed)>")
        case .connectionRefused:
            (nil, describe(NSError(domain: "connection refused", code: 111), url: url))
        case .error(let text): (nil, text)
        }
    }
}
