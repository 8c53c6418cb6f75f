/// An error answer exactly as Chatwoot renders it (status + body), thrown by in-process agent actions too.
public struct StandInAPIError: Error, Sendable, CustomStringConvertible {
    /// The HTTP status.
    public let status: Int
    /// The JSON body, when Chatwoot renders JSON.
    public let json: JSONValue?
    /// A non-JSON body (Rails' HTML error pages, rack-attack text).
    public let text: String?

    public init(status: Int, json: JSONValue) {
        self.status = status
        self.json = json
        self.text = nil
    }

    public init(status: Int, text: String) {
        self.status = status
        self.json = nil
        self.text = text
    }

    public var description: String { "HTTP \(status) \(json.map { JSONWriter.string($0) } ?? text ?? "")" }

    /// 404 `{"error":"Resource could not be found"}` (`ActiveRecord::RecordNotFound`).
    public static let notFound = StandInAPIError(status: 404, json: ["error": "Resource could not be found"])

    /// 401 `{"error": message}`.
    public static func unauthorized(_ message: String) -> StandInAPIError { StandInAPIError(status: 401, json: ["error": .string(message)]) }

    /// 401 `{"error":"You are not authorized to do this action"}` (Pundit denial).
    public static let notPermitted = unauthorized("You are not authorized to do this action")

    /// 422 `{"error": message}`.
    public static func unprocessable(_ message: String) -> StandInAPIError { StandInAPIError(status: 422, json: ["error": .string(message)]) }

    /// 422 `{"message": "A, B", "attributes": [...]}` (`ActiveRecord::RecordInvalid`).
    public static func recordInvalid(_ errors: [(attribute: String, message: String)]) -> StandInAPIError {
        var attributes: [String] = []
        for error in errors where !attributes.contains(error.attribute) { attributes.append(error.attribute) }
        return StandInAPIError(
            status: 422,
            json: ["message": .string(errors.map(\.message).joined(separator: ", ")), "attributes": .array(attributes.map(JSONValue.string))])
    }

    /// 422 `{"error":"param is missing or the value is empty: name"}` (`ActionController::ParameterMissing`).
    public static func parameterMissing(_ name: String) -> StandInAPIError { unprocessable("param is missing or the value is empty: \(name)") }

    /// Rails' production 404 page (`public/404.html`): an unknown route, or `RecordNotFound` where nothing rescues it.
    public static let railsNotFound = StandInAPIError(
        status: 404,
        text: "<!DOCTYPE html>\n<html><head><title>The page you were looking for doesn't exist (404)</title></head><body><h1>The page you were looking for doesn't exist.</h1></body></html>\n")

    /// Rails' production 500 page (unrescued exceptions such as an invalid enum value).
    public static let internalServerError = StandInAPIError(
        status: 500, text: "<!DOCTYPE html>\n<html>\n<head><title>We're sorry, but something went wrong (500)</title></head>\n<body><h1>We're sorry, but something went wrong.</h1></body>\n</html>\n")
}
