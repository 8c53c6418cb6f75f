import ArgumentParser
import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOFoundationCompat
import Synchronization

/// The yardstick: a Hummingbird server doing only the socket push. A POST carrying a Chatwoot webhook body is
/// decoded just enough to find the conversation and the text, and that text is written to the conversation's
/// socket. No signature, no store, no flow: what is left is the framework's own cost, which Baton cannot beat.
struct BareServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bare-server", abstract: "Run the bare Hummingbird push route (used by the benchmark).")

    @Option var port = 0

    /// The few webhook fields the route reads.
    struct Webhook: Decodable {
        struct Conversation: Decodable { let id: Int }
        let id: Int
        let content: String?
        let conversation: Conversation
    }

    func run() async throws {
        var logger = Logger(label: "bare")
        logger.logLevel = .warning
        let sockets = Mutex<[Int: WebSocketOutboundWriter]>([:])
        let router = Router(context: BasicWebSocketRequestContext.self)
        router.post("push") { request, context -> HTTPResponse.Status in
            let body = try await request.body.collect(upTo: 1 << 20)
            let webhook = try JSONDecoder().decode(Webhook.self, from: Data(buffer: body))
            guard let socket = sockets.withLock({ $0[webhook.conversation.id] }) else { return .notFound }
            let frame = #"{"type":"message","message":{"id":\#(webhook.id),"sender":"agent","text":\#(Self.quoted(webhook.content ?? ""))}}"#
            try await socket.write(.text(frame))
            return .ok
        }
        router.ws("socket/{conversation}") { _, _ in .upgrade([:]) } onUpgrade: { inbound, outbound, context in
            guard let conversation = context.requestContext.parameters.get("conversation", as: Int.self) else { return }
            sockets.withLock { $0[conversation] = outbound }
            for try await _ in inbound {}
            sockets.withLock { _ = $0.removeValue(forKey: conversation) }
        }
        let app = Application(
            router: router,
            server: .http1WebSocketUpgrade(webSocketRouter: router),
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: port)),
            onServerRunning: { channel in
                FileHandle.standardOutput.write(Data("bare server listening on port \(channel.localAddress?.port ?? 0)\n".utf8))
            },
            logger: logger)
        try await app.runService()
    }

    /// A JSON string literal for `text`.
    static func quoted(_ text: String) -> String {
        String(decoding: try! JSONEncoder().encode(text), as: UTF8.self)
    }
}
