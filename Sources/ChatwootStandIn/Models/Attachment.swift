/// An uploaded file on a message. The bytes live in a ``Blob``.
public struct Attachment: Sendable, Hashable, Identifiable {
    /// The record id.
    public let id: Int
    /// Chatwoot's `message_id`.
    public let messageId: Int
    /// Chatwoot's `account_id`.
    public let accountId: Int
    /// `image`, `audio`, `video` or `file` (from the MIME type, `app/helpers/file_type_helper.rb`).
    public let fileType: String
    /// Chatwoot's `blob_id`.
    public let blobId: Int
    /// Chatwoot's `filename`.
    public let filename: String
    /// Chatwoot's `content_type`.
    public let contentType: String
    /// Chatwoot's `byte_size`.
    public let byteSize: Int
}
