public import Foundation

/// A file a user uploaded in the webchat, kept in the store so every instance can serve it and send it on.
public struct StoredFile: Sendable, Hashable {
    /// Random and unguessable: it is part of the file's URL, which is all a reader needs.
    public var id: String
    public var sessionID: SessionID
    public var name: String
    public var mimeType: String
    public var bytes: [UInt8]
    public var createdAt: Date

    public init(id: String, sessionID: SessionID, name: String, mimeType: String, bytes: [UInt8], createdAt: Date) {
        self.id = id
        self.sessionID = sessionID
        self.name = name
        self.mimeType = mimeType
        self.bytes = bytes
        self.createdAt = createdAt
    }
}
