/// Ids that clients choose (`clientMessageId`, a REST `userId`, the widget's `setUser` id).
///
/// They reach the store as text, Chatwoot as identifiers and the log as metadata, so they are kept plain:
/// 1 to `maxLength` characters (Unicode scalars, as JSON Schema's `maxLength` counts them in docs/openapi.yaml)
/// and no control characters. PostgreSQL refuses NUL in text outright, and a line break or an escape sequence has
/// no business in a log line or an agent's screen.
public enum ClientIdentifier {
    /// The longest `clientMessageId`.
    public static let maxMessageIDLength = 128
    /// The longest user id.
    public static let maxUserIDLength = 200

    public static func isValid(_ text: String, maxLength: Int) -> Bool {
        !text.isEmpty && text.unicodeScalars.count <= maxLength && !text.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }
}
