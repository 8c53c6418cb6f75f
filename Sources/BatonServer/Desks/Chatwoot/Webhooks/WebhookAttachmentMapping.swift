public import BatonCore
import Foundation

extension ChatwootWebhook.AttachmentPayload {
    /// The attachment as Baton shows it, or `nil` when it has no `http(s)` `data_url` (a `javascript:` or
    /// `data:` URL must never reach the webchat, and an attachment without a URL has nothing to show).
    ///
    /// Kind: `image` is a GIF when its MIME type, extension or URL says so (the webchat animates those);
    /// `video`/`audio` map one to one; `file` and every other type with a URL (location, share, embed…) is a file.
    /// The name is the URL's last path component, percent-decoded: Chatwoot puts the original filename there.
    public var batonAttachment: Attachment? {
        guard let url = dataURL, Attachment.isWebURL(url) else { return nil }
        let name = Self.fileName(of: url)
        let kind: AttachmentKind
        switch fileType?.lowercased() {
        case "image": kind = isGIF(name: name) ? .gif : .image
        case "video": kind = .video
        case "audio": kind = .audio
        default: kind = .file
        }
        return Attachment(kind: kind, url: url, name: name, mimeType: contentType, size: fileSize.flatMap { $0 >= 0 ? $0 : nil })
    }

    private func isGIF(name: String?) -> Bool {
        contentType?.lowercased() == "image/gif" || fileExtension?.lowercased() == "gif"
            || name?.lowercased().hasSuffix(".gif") == true
    }

    /// The last path component of `url`, percent-decoded; `nil` when the path has none.
    static func fileName(of url: String) -> String? {
        guard let path = URLComponents(string: url)?.percentEncodedPath,
            let last = path.split(separator: "/").last
        else { return nil }
        let encoded = String(last)
        let decoded = encoded.removingPercentEncoding ?? encoded
        return decoded.isEmpty ? nil : decoded
    }
}
