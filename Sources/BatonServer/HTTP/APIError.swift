import Foundation
import Hummingbird

/// An error answer of the JSON APIs: `{"error": {"code": "...", "message": "..."}}` with a fitting status.
struct APIError: HTTPResponseError {
    var status: HTTPResponse.Status
    var code: String
    var message: String

    init(_ status: HTTPResponse.Status, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        try response()
    }

    /// The error's JSON answer.
    func response() throws -> Response {
        let body = ["error": ["code": code, "message": message]]
        let data = try JSONEncoder.baton.encode(body)
        return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
