import BatonConfig
import BatonCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Files users send their agent, on every channel with a user of its own: the raw file as a request's body (its type
/// in `Content-Type`, its name percent-encoded in `X-File-Name`, a retry's `X-Client-Message-Id`), stored with the
/// user's message carrying it, which goes to Chatwoot as an attachment. Each channel's route finds and checks the
/// session its way (the webchat's and the REST channel's by the session id, the handovers API's with its key), then
/// hands the request here. `FilesController` serves the files back.
struct UserFiles: Sendable {
    let conversations: Conversations
    let store: any SessionStore
    let limits: LimitSettings
    /// `server.publicURL`, for the file's URL; without it the request's own host is used.
    let publicURL: String?
    let now: @Sendable () -> Date

    /// What may be sent: what browsers show inline, documents agents open, and Chatwoot's ACCEPTABLE_FILE_TYPES.
    static let allowedTypes: Set<String> = [
        "image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain", "text/csv",
        "audio/mpeg", "audio/ogg", "audio/wav", "audio/webm", "video/mp4", "video/webm", "application/zip",
        "application/msword", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.ms-excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ]

    /// Stores the file the request carries and the user's message with it; answers `201 {"message": …}`.
    func receive(_ request: Request, session: Session, endpoint: Endpoint) async throws -> Response {
        guard session.state.handover?.isLive == true else {
            throw APIError(.conflict, "no_agent", "files can be sent to an agent only; ask for one first")
        }
        let mimeType = (request.headers[.contentType] ?? "").split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        guard Self.allowedTypes.contains(mimeType) else {
            throw APIError(.unsupportedMediaType, "file_type_not_allowed", "files of type '\(mimeType.prefix(80))' cannot be sent; send an image, a PDF, a text, audio, video or office file")
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: limits.maxFileBytes)
        } catch {
            throw APIError(.contentTooLarge, "file_too_large", "files are limited to \(Self.megabytes(limits.maxFileBytes))")
        }
        guard body.readableBytes > 0 else { throw APIError(.badRequest, "empty_file", "the file is empty") }
        let name = Self.safeName(request.headers[HTTPField.Name("X-File-Name")!])
        let clientMessageID = request.headers[HTTPField.Name("X-Client-Message-Id")!].flatMap { ClientIdentifier.isValid($0, maxLength: ClientIdentifier.maxMessageIDLength) ? $0 : nil }
        if let clientMessageID, let earlier = try await store.message(sessionID: session.id, clientMessageID: clientMessageID) {
            // The same upload again (the client retried): answered from the first, without a second file.
            return try Self.created(earlier)
        }
        let file = StoredFile(
            id: "f_" + SessionID.random().rawValue.dropFirst(2), sessionID: session.id, name: name, mimeType: mimeType,
            bytes: Array(buffer: body), createdAt: now())
        try await store.saveFile(file)
        let base = publicURL ?? "http://\(request.head.authority ?? "127.0.0.1")"
        let attachment = Attachment(
            kind: Self.kind(of: mimeType), url: "\(base)/files/\(file.id)/\(name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? "file")",
            name: name, mimeType: mimeType, fileID: file.id, size: file.bytes.count)
        let turn = try await conversations.receive(
            UserInput(text: ""), attachments: [attachment], clientMessageID: clientMessageID, in: session.id, endpoint: endpoint)
        guard let stored = turn.userMessage else { throw APIError(.internalServerError, "internal", "the message was not stored") }
        return try Self.created(stored)
    }

    static func created(_ message: Message) throws -> Response {
        try .json(["message": MessagePayload(message)], status: .created)
    }

    static func kind(of mimeType: String) -> AttachmentKind {
        if mimeType == "image/gif" { return .gif }
        if mimeType.hasPrefix("image/") { return .image }
        if mimeType.hasPrefix("video/") { return .video }
        if mimeType.hasPrefix("audio/") { return .audio }
        return .file
    }

    /// The file's own name without any path, control characters or more than 120 characters.
    static func safeName(_ header: String?) -> String {
        let decoded = header.flatMap { $0.removingPercentEncoding } ?? ""
        let last = decoded.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        let clean = String(last.unicodeScalars.filter { !CharacterSet.controlCharacters.contains($0) }.map(Character.init)).trimmingCharacters(in: .whitespaces)
        return clean.isEmpty || clean == "." || clean == ".." ? "file" : String(clean.prefix(120))
    }

    static func megabytes(_ bytes: Int) -> String {
        bytes % (1024 * 1024) == 0 ? "\(bytes / (1024 * 1024)) MB" : "\(bytes) bytes"
    }
}
