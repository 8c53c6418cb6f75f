public import BatonCore
import Foundation
import NIOCore
import PostgresNIO

extension PostgresSessionStore {
    public func saveFile(_ file: StoredFile) async throws {
        // A ByteBuffer binds as bytea; the upload limit keeps it far below what one bind can carry.
        try await execute(
            """
            INSERT INTO files (id, session_id, name, mime_type, bytes, created_at)
            VALUES (\(file.id), \(file.sessionID.rawValue), \(file.name), \(file.mimeType), \(ByteBuffer(bytes: file.bytes)), \(file.createdAt.millis))
            """)
    }

    public func file(id: String) async throws -> StoredFile? {
        guard let row = try await read("SELECT * FROM files WHERE id = \(id)").first else { return nil }
        let bytes = try row["bytes"].decode(ByteBuffer.self)
        return StoredFile(
            id: try row["id"].decode(String.self), sessionID: SessionID(rawValue: try row["session_id"].decode(String.self)),
            name: try row["name"].decode(String.self), mimeType: try row["mime_type"].decode(String.self),
            bytes: Array(bytes.readableBytesView), createdAt: Date(millis: try row["created_at"].decode(Int64.self)))
    }
}
