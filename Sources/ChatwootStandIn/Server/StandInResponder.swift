import HTTPTypes
import Hummingbird
import NIOCore

/// Per-request context: large bodies allowed (video attachments).
struct StandInRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The request's connection, for a fault that drops it.
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }

    /// 100 MB: Chatwoot itself has no limit for API inboxes (`app/models/attachment.rb`); proxies usually do.
    var maxUploadSize: Int { 100 * 1024 * 1024 }
}

/// Bridges Hummingbird to the ``RequestPipeline``.
struct StandInResponder: HTTPResponder {
    typealias Context = StandInRequestContext
    let pipeline: RequestPipeline

    func respond(to request: Request, context: Context) async throws -> Response {
        let body: [UInt8]
        do {
            let buffer = try await request.body.collect(upTo: context.maxUploadSize)
            body = Array(buffer.readableBytesView)
        } catch {
            return Response(status: .contentTooLarge)
        }
        let headers = request.headers.map { (name: $0.name.canonicalName, value: $0.value) }
        let incoming = IncomingRequest(
            method: request.method.rawValue, path: request.uri.path, query: request.uri.query, headers: headers, body: body)
        let answer = await pipeline.handle(incoming)
        if answer.dropsConnection {
            // Closed before a byte of the answer: the client sees the connection end with its request unanswered.
            try await context.channel.close()
            throw CancellationError()
        }
        var fields = HTTPFields()
        for (name, value) in answer.headers {
            if let fieldName = HTTPField.Name(name) { fields.append(HTTPField(name: fieldName, value: value)) }
        }
        return Response(status: HTTPResponse.Status(code: answer.status), headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body)))
    }
}
