/// Stored file bytes (ActiveStorage blob), served at `/rails/active_storage/...`.
public struct Blob: Sendable, Hashable, Identifiable {
    /// The record id.
    public let id: Int
    /// The storage key in the served URL.
    public let key: String
    /// ActiveStorage-style signed id used in `data_url`.
    public let signedId: String
    /// The uploaded file name.
    public let filename: String
    /// The MIME type it is served with.
    public let contentType: String
    /// The bytes.
    public let data: [UInt8]
}
