/// An uploaded file on a message. The bytes live in a ``Blob``.
public struct Attachment: Sendable, Hashable, Identifiable {
    public let id: Int
    public let messageId: Int
    public let accountId: Int
    /// `image`, `audio`, `video` or `file` (from the MIME type, CONTRACT §2.4).
    public let fileType: String
    public let blobId: Int
    public let filename: String
    public let contentType: String
    public let byteSize: Int
}
