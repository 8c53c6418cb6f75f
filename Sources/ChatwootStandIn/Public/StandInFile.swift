public import Foundation

/// A file to attach from Swift code.
public struct StandInFile: Sendable {
    public let filename: String
    /// The MIME type; it decides `file_type` (`image/png` → image, `video/mp4` → video, `audio/*` → audio, else file).
    public let mimeType: String
    public let data: [UInt8]

    public init(filename: String, mimeType: String, data: [UInt8]) {
        self.filename = filename
        self.mimeType = mimeType
        self.data = data
    }

    public init(filename: String, mimeType: String, data: Data) {
        self.init(filename: filename, mimeType: mimeType, data: Array(data))
    }

    var uploaded: UploadedFile { UploadedFile(fieldName: "attachments[]", filename: filename, contentType: mimeType, data: data) }
}
