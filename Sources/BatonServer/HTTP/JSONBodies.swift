import Foundation
import Hummingbird
import NIOFoundationCompat

extension Request {
    /// The body read as `Body`, for the JSON APIs: 413 `body_too_large` past the context's upload limit, 400
    /// `invalid_json` naming the bad key ("the body is not `what`: …").
    func decodeJSON<Body: Decodable>(_ type: Body.Type, context: AppRequestContext, what: String) async throws -> Body {
        do {
            return try JSONDecoder().decode(Body.self, from: try await body.collect(upTo: context.maxUploadSize))
        } catch let error as DecodingError {
            throw APIError(.badRequest, "invalid_json", "the body is not \(what): \(error.pathDescription)")
        } catch {
            throw APIError(.contentTooLarge, "body_too_large", "the body is larger than \(context.maxUploadSize) bytes")
        }
    }
}

extension Response {
    /// A JSON answer, encoded as every JSON body Baton sends (`JSONEncoder.baton`).
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: try JSONEncoder.baton.encode(value))))
    }
}

extension DecodingError {
    /// Which key was wrong and why, for an error answer; "malformed JSON" when the text is not JSON at all.
    var pathDescription: String {
        switch self {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context), .dataCorrupted(let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? "malformed JSON" : "'\(path)': \(context.debugDescription)"
        @unknown default:
            return "malformed JSON"
        }
    }
}
