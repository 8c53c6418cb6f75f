public import BatonCore

/// A problem found in a config or flow file, with where it is.
public struct Diagnostic: Sendable, Hashable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable { case error, warning }

    public var severity: Severity
    public var location: SourceLocation
    /// The key path of the offending value, e.g. `endpoints.demo.handover.chatwoot.accountId`.
    public var path: String
    public var message: String

    public init(_ severity: Severity = .error, at location: SourceLocation, path: String, _ message: String) {
        self.severity = severity
        self.location = location
        self.path = path
        self.message = message
    }

    /// `file:line:column: error: path: message`, the format editors and CI logs link to.
    public var description: String {
        let key = path.isEmpty ? "" : "\(path): "
        return "\(location): \(severity.rawValue): \(key)\(message)"
    }
}

/// The diagnostics of a config or flow that cannot be used.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]
    public init(diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }
    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
