import Foundation

/// One instance's part in a reload, as `POST /admin/reload` lists it under `instances`.
struct InstanceReport: Codable, Sendable, Equatable {
    enum Status: String, Codable, Sendable {
        case reloaded, refused
        /// The instance listens but did not answer in time.
        case noAnswer = "no_answer"
    }

    /// The instance's name on the relay.
    var instance: String
    var host: String?
    var pid: Int?
    /// Where the relay's server saw it connect from; for an instance that did not answer.
    var address: String?
    /// True for the instance that answered the request.
    var here: Bool?
    var status: Status
    var reloaded: [String]?
    var unchanged: [String]?
    var restartNeeded: [String]?
    var warnings: [String]?
    var diagnostics: [String]?

    init(_ identity: InstanceIdentity, reloaded outcome: ConfigurationReload.Outcome) {
        (instance, host, pid, status) = (identity.instance, identity.host, identity.pid, .reloaded)
        (reloaded, unchanged, restartNeeded, warnings) = (outcome.reloaded, outcome.unchanged, outcome.restartNeeded, outcome.warnings)
    }

    init(_ identity: InstanceIdentity, refusedWith diagnostics: [String]) {
        (instance, host, pid, status) = (identity.instance, identity.host, identity.pid, .refused)
        self.diagnostics = diagnostics
    }

    init(unanswered instance: ListeningInstance) {
        (self.instance, address, status) = (instance.name, instance.address, .noAnswer)
        (host, pid) = InstanceName.parse(instance.name).map { ($0.host, $0.pid) } ?? (nil, nil)
    }

    /// The host and process, or the address, or the name: how the diagnostics of another instance are introduced.
    var label: String {
        if let host, let pid { return "\(host), pid \(pid)" }
        return address ?? instance
    }
}

/// A reload's request and its answers between instances, on the hub's relay.
struct ReloadMessage: Codable, Sendable {
    enum Command: String, Codable, Sendable { case reload, reloaded }

    /// Room for an answer: PostgreSQL refuses payloads of 8000 bytes or more.
    static let maxPayloadBytes = 7_900

    var command: Command
    /// The asking instance's id for this reload, which its answers carry.
    var request: String
    /// The asking instance (a request).
    var from: String?
    /// What the answering instance did (an answer).
    var report: InstanceReport?

    init(command: Command, request: String, from: String? = nil, report: InstanceReport? = nil) {
        (self.command, self.request, self.from, self.report) = (command, request, from, report)
    }

    init(payload: String) throws { self = try JSONDecoder().decode(Self.self, from: Data(payload.utf8)) }

    /// This answer cut to fit a payload of `bytes`: its warnings and diagnostics each to their first 20 lines of at
    /// most 500 characters, then lines dropped from their ends until it fits, a last line saying how many more the
    /// instance's log has.
    func fitted(within bytes: Int = maxPayloadBytes) -> ReloadMessage {
        guard let report else { return self }
        func cut(_ lines: [String]?) -> [String] { (lines ?? []).prefix(20).map { String($0.prefix(500)) } }
        func noted(_ kept: [String], of all: [String]?) -> [String]? {
            guard let all else { return nil }
            return kept.count < all.count ? kept + ["… and \(all.count - kept.count) more in that instance's log"] : kept
        }
        var (warnings, diagnostics) = (cut(report.warnings), cut(report.diagnostics))
        var fitted = self
        while true {
            fitted.report?.warnings = noted(warnings, of: report.warnings)
            fitted.report?.diagnostics = noted(diagnostics, of: report.diagnostics)
            guard let size = try? fitted.payload().utf8.count, size > bytes else { return fitted }
            if !warnings.isEmpty {
                warnings.removeLast()
            } else if !diagnostics.isEmpty {
                diagnostics.removeLast()
            } else {
                return fitted
            }
        }
    }

    func payload() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
