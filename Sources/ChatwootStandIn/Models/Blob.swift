/// Stored file bytes (ActiveStorage blob), served at `/rails/active_storage/...`.
public struct Blob: Sendable, Hashable, Identifiable {
    public let id: Int
    /// The storage key in the served URL.
    public let key: String
    /// ActiveStorage-style signed id used in `data_url`.
    public let signedId: String
    public let filename: String
    public let contentType: String
    public let data: [UInt8]
}
