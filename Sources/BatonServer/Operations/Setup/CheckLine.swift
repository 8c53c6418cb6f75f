import Foundation

/// One line of what `baton chatwoot setup` did or `baton doctor` found: what it is about, what is so, and when
/// something is wrong, what fixes it.
public struct CheckLine: Sendable, Hashable, CustomStringConvertible {
    public enum Status: String, Sendable, Hashable {
        /// As it should be; nothing was changed.
        case ok
        /// Setup changed it.
        case changed
        /// Setup would change it (`--dry-run`).
        case planned
        /// Wrong, and not changed: `fix` says what to do.
        case failed
    }

    public var status: Status
    /// What the line is about: `token`, `inbox`, `webhook URL`…
    public var subject: String
    public var detail: String
    public var fix: String?

    public init(_ status: Status, _ subject: String, _ detail: String, fix: String? = nil) {
        self.status = status
        self.subject = subject
        self.detail = detail
        self.fix = fix
    }

    /// `ok       inbox: 'Support' (id 5) is an API-channel inbox`, and for a failure `  fix: …` under it.
    public var description: String {
        let label = status == .failed ? "FAILED" : status.rawValue
        let line = label.padding(toLength: 9, withPad: " ", startingAt: 0) + "\(subject): \(detail)"
        return fix.map { line + "\n         fix: \($0)" } ?? line
    }
}

extension [CheckLine] {
    public var failed: Bool { contains { $0.status == .failed } }
}
