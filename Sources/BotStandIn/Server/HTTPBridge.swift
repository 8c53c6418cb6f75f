import HTTPTypes
import Hummingbird
import NIOCore

/// Per-request context: the connection, for answers that drop it.
struct BotRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}

/// Bridges Hummingbird to a stand-in's handler: collects the body, records the request, writes the reply.
struct BotResponder: HTTPResponder {
    typealias Context = BotRequestContext
    let maxBodyBytes: Int
    let log: RequestLog
    let handler: @Sendable (IncomingRequest) async -> StandInReply

    func respond(to request: Request, context: Context) async throws -> Response {
        var body: [UInt8] = []
        var tooLarge = false
        do {
            body = Array(try await request.body.collect(upTo: maxBodyBytes).readableBytesView)
        } catch {
            // Over the limit: the handler answers 413 in the imitated server's own words.
            tooLarge = true
        }
        let incoming = IncomingRequest(
            method: request.method.rawValue, path: request.uri.path, query: request.uri.query,
            headers: request.headers.map { (name: $0.name.canonicalName, value: $0.value) }, body: body, bodyTooLarge: tooLarge)
        log.record(incoming)
        switch await handler(incoming) {
        case .full(let status, let headers, let bytes):
            return Response(status: .init(code: status), headers: Self.fields(headers), body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
        case .stream(let status, let headers, let write):
            let body = ResponseBody { writer in
                var out = StreamOut(writer: writer)
                try await write(&out)
                try await out.writer.finish(nil)
            }
            return Response(status: .init(code: status), headers: Self.fields(headers), body: body)
        case .dropConnection:
            // Closed before a byte of the answer: the client sees its request end unanswered.
            try await context.channel.close()
            throw CancellationError()
        }
    }

    private static func fields(_ headers: [(String, String)]) -> HTTPFields {
        var fields = HTTPFields()
        for (name, value) in headers {
            if let fieldName = HTTPField.Name(name) { fields.append(HTTPField(name: fieldName, value: value)) }
        }
        return fields
    }
}
