/// A response before it is handed to the HTTP server (kept framework-free so handlers stay simple).
struct APIResponse: Sendable {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]
    /// Close the connection instead of answering (a fault rule's `closeConnection`).
    var dropsConnection = false

    /// A JSON body rendered the Rails way.
    static func json(_ value: JSONValue, status: Int = 200) -> APIResponse {
        APIResponse(status: status, headers: [("Content-Type", "application/json; charset=utf-8")], body: JSONWriter.bytes(value))
    }

    /// Rails' `head :ok` (no body).
    static func head(_ status: Int = 200) -> APIResponse { APIResponse(status: status, headers: [], body: []) }

    /// A text body.
    static func text(_ text: String, status: Int, contentType: String = "text/plain; charset=utf-8") -> APIResponse {
        APIResponse(status: status, headers: [("Content-Type", contentType)], body: Array(text.utf8))
    }

    /// The rendering of an error the way Chatwoot does.
    static func error(_ error: StandInAPIError) -> APIResponse {
        if let json = error.json { return .json(json, status: error.status) }
        return .text(error.text ?? "", status: error.status, contentType: "text/html; charset=utf-8")
    }
}
