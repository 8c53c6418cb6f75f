import BatonConfig
import BatonCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The webchat's route for files its users send their agent, `POST /webchat/{urlToken}/sessions/{sessionId}/files`
/// (``UserFiles``), and `GET /files/{id}/{name}`, which serves every channel's files back, inertly.
struct FilesController {
    let endpoints: EndpointRegistry
    let store: any SessionStore
    let files: UserFiles

    func addRoutes(to router: Router<AppRequestContext>) {
        router.post("webchat/{urlToken}/sessions/{sessionId}/files", use: upload)
        router.get("files/{fileId}/{name}", use: download)
    }

    func upload(_ request: Request, context: AppRequestContext) async throws -> Response {
        let token = try context.parameters.require("urlToken")
        guard let endpoint = endpoints.endpoint(urlToken: token), endpoint.configuration.webchat.enabled else {
            throw APIError(.notFound, "endpoint_not_found", "no webchat endpoint '\(token.prefix(60))'")
        }
        let sessionToken = try context.parameters.require("sessionId")
        // An outside bot's session is reached through the handovers API only.
        guard let session = try await store.session(sessionToken, of: endpoint), !session.channel.isOwnedByOutsideBot else {
            throw APIError(.notFound, "session_not_found", "no such session on this endpoint")
        }
        return try await files.receive(request, session: session, endpoint: endpoint)
    }

    func download(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.require("fileId")
        guard id.hasPrefix("f_"), id.count <= 40, let file = try await store.file(id: id) else {
            throw APIError(.notFound, "file_not_found", "no such file")
        }
        let inline = ["image/", "audio/", "video/"].contains { file.mimeType.hasPrefix($0) }
        var headers: HTTPFields = [
            .contentType: file.mimeType,
            .cacheControl: "private, max-age=86400",
            HTTPField.Name("X-Content-Type-Options")!: "nosniff",
            // Whatever the file holds, it runs nothing and loads nothing when opened on its own.
            .contentSecurityPolicy: "sandbox; default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'",
        ]
        headers[.contentDisposition] = "\(inline ? "inline" : "attachment"); filename*=UTF-8''\(file.name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "file")"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: file.bytes)))
    }
}
