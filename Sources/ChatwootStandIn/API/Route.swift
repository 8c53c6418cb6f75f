/// One Application-API route: the Rails controller/action it stands for (bot access is decided per action) and
/// the handler.
struct Route: Sendable {
    typealias Handler = @Sendable (HandlerContext) async throws -> APIResponse

    let method: String
    /// Segments; `:name` marks a path parameter.
    let segments: [String]
    /// Rails controller path, e.g. `api/v1/accounts/conversations/messages`.
    let controller: String
    let action: String
    /// A `PublicController` route: no token, no account (`HandlerContext.accountId` is 0, the caller `.none`).
    let isPublic: Bool
    /// A route of the token's user, outside any account (`/api/v1/profile`): `HandlerContext.accountId` is 0.
    let isAccountless: Bool
    let handler: Handler

    init(
        _ method: String, _ path: String, _ controller: String, _ action: String, isPublic: Bool = false, isAccountless: Bool = false,
        _ handler: @escaping Handler
    ) {
        self.method = method
        self.segments = path.split(separator: "/").map(String.init)
        self.controller = controller
        self.action = action
        self.isPublic = isPublic
        self.isAccountless = isAccountless
        self.handler = handler
    }

    var literalCount: Int { segments.filter { !$0.hasPrefix(":") }.count }

    func match(method: String, segments actual: [String]) -> [String: String]? {
        guard method == self.method, actual.count == segments.count else { return nil }
        var values: [String: String] = [:]
        for (pattern, segment) in zip(segments, actual) {
            if pattern.hasPrefix(":") {
                values[String(pattern.dropFirst())] = segment
            } else if pattern != segment {
                return nil
            }
        }
        return values
    }

    /// `AccessTokenAuthHelper::BOT_ACCESSIBLE_ENDPOINTS` (`app/controllers/concerns/access_token_auth_helper.rb`).
    static let botAccessible: [String: Set<String>] = [
        "api/v1/accounts/conversations": ["show", "create", "update", "toggle_status", "toggle_typing_status", "toggle_priority", "custom_attributes"],
        "api/v1/accounts/conversations/messages": ["create"],
        "api/v1/accounts/conversations/assignments": ["create"],
        "api/v1/accounts/conversations/labels": ["index", "create"],
    ]

    var isBotAccessible: Bool { Self.botAccessible[controller]?.contains(action) == true }
}
