extension ChatwootWebhook {
    /// One entry of a message's `attachments` (`Attachment#push_event_data`, `app/models/attachment.rb`), as sent.
    public struct AttachmentPayload: Sendable, Hashable {
        public var id: Int?
        /// `image audio video file location fallback share story_mention contact ig_reel ig_post ig_story embed`.
        public var fileType: String?
        /// The MIME type (`image/png`); only sent since Chatwoot 4.13.
        public var contentType: String?
        /// The file name's extension (`png`), may be `null`.
        public var fileExtension: String?
        /// Where to fetch the file: an unauthenticated redirect to the storage URL, or an external URL.
        public var dataURL: String?
        /// A 250 px representation for images, `""` otherwise.
        public var thumbURL: String?
        /// Size in bytes.
        public var fileSize: Int?
        /// The title of locations, contacts and fallbacks.
        public var fallbackTitle: String?

        /// Creates an attachment payload.
        public init(
            id: Int? = nil, fileType: String? = nil, contentType: String? = nil, fileExtension: String? = nil,
            dataURL: String? = nil, thumbURL: String? = nil, fileSize: Int? = nil, fallbackTitle: String? = nil
        ) {
            self.id = id
            self.fileType = fileType
            self.contentType = contentType
            self.fileExtension = fileExtension
            self.dataURL = dataURL
            self.thumbURL = thumbURL
            self.fileSize = fileSize
            self.fallbackTitle = fallbackTitle
        }

        init(_ reader: JSONReader) throws(ChatwootWebhookDecodingError) {
            id = try reader.int("id")
            fileType = try reader.string("file_type")
            contentType = try reader.string("content_type")
            fileExtension = try reader.string("extension")
            dataURL = try reader.string("data_url")
            thumbURL = try reader.string("thumb_url")
            fileSize = try reader.int("file_size")
            fallbackTitle = try reader.string("fallback_title")
        }
    }
}
