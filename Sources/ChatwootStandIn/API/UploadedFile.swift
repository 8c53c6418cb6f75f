/// One uploaded file part.
struct UploadedFile: Sendable {
    let fieldName: String
    let filename: String
    let contentType: String
    let data: [UInt8]
}
