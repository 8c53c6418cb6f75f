import BatonConfig
import BatonCore
import Foundation
import Hummingbird
import Logging
import Synchronization

/// `POST /admin/reload`: every instance sharing the store reads its config again, not only the one the load balancer
/// sent the request to. The request travels through the hub's relay to every instance listening; each reloads as on
/// SIGHUP and answers on the asking instance's own channel. The answer waits for every instance the relay knows to
/// be listening (``HubRelay/listeningInstances()``), or ``answerWithin``, whichever comes first, and lists each one's
/// outcome: reloaded, refused with its diagnostics, or no answer (stopped, or a version of Baton without this).
/// SIGHUP and `--watch` stay with their own process: each instance gets its own signal, or sees its own files change.
final class ReloadEverywhere: Sendable {
    let reload: ConfigurationReload
    /// The other instances' relay; nil when this process is the only one (SQLite).
    let relay: (any HubRelay)?
    let here: InstanceReport.Identity
    /// Runs a reload another instance asked for, off the relay's listener, so hub events keep flowing meanwhile.
    let background: BackgroundWork
    let answerWithin: Duration
    let logger: Logger
    /// The reloads this instance asked for and still collects answers to, by request.
    private let collecting = Mutex<[String: AsyncStream<InstanceReport>.Continuation]>([:])

    init(
        reload: ConfigurationReload, relay: (any HubRelay)?, here: InstanceReport.Identity, background: BackgroundWork,
        answerWithin: Duration = .seconds(5), logger: Logger
    ) {
        self.reload = reload
        self.relay = relay
        self.here = here
        self.background = background
        self.answerWithin = answerWithin
        self.logger = logger
    }

    /// `POST /admin/reload`: 200 with this instance's ``ConfigurationReload/Outcome`` when no instance refused; 422
    /// `config_invalid` with the diagnostics (another instance's after its host and process) when one did, the
    /// running flows staying on each that refused. With other instances, both list every instance's outcome in
    /// `instances`, this one first.
    func respond() async throws -> Response {
        let reports = await reloadAll()
        let mine = reports[0]
        let instances = relay == nil ? nil : reports
        let refused = reports.filter { $0.status == .refused }
        guard !refused.isEmpty else { return try .json(ConfigurationReload.Outcome(mine, instances: instances)) }
        let diagnostics = refused.flatMap { report in (report.diagnostics ?? []).map { report.here == true ? $0 : "\(report.label): \($0)" } }
        let message =
            mine.status == .refused
            ? "the config has errors; the running flows stay"
            : "the config has errors on \(refused.count) other instance\(refused.count == 1 ? "" : "s"); the running flows stay there"
        return try .json(
            ConfigurationReload.Refused(error: .init(code: "config_invalid", message: message, diagnostics: diagnostics), instances: instances),
            status: .unprocessableContent)
    }

    /// Reloads here and asks every other instance to: this instance's report first (so never empty), then the others'
    /// by host and process, then the listening instances that did not answer in time.
    func reloadAll() async -> [InstanceReport] {
        guard let relay else { return [await reloadHere(askedBy: "admin")] }
        let request = UUID().uuidString
        let (answers, arriving) = AsyncStream.makeStream(of: InstanceReport.self)
        collecting.withLock { $0[request] = arriving }
        defer {
            collecting.withLock { $0[request] = nil }
            arriving.finish()
        }
        let others: [ListeningInstance]?
        do {
            others = try await relay.listeningInstances()?.filter { !$0.name.isEmpty && !here.instance.hasPrefix($0.name) }
        } catch {
            logger.warning("could not read which instances listen; waiting for answers", metadata: ["error": "\(String(reflecting: error))"])
            others = nil
        }
        if others?.isEmpty == true { return [await reloadHere(askedBy: "admin")] }
        do {
            try await relay.send(try ReloadMessage(command: .reload, request: request, from: here.instance).payload())
        } catch {
            // Nobody was asked, so nobody will answer.
            logger.warning("could not ask the other instances to reload", metadata: ["error": "\(String(reflecting: error))"])
            return [await reloadHere(askedBy: "admin")] + (others ?? []).map { InstanceReport(unanswered: $0) }
        }
        async let mine = reloadHere(askedBy: "admin")
        let heard = await collect(answers, ending: arriving, from: others)
        let missing = (others ?? []).filter { instance in !heard.contains { $0.instance.hasPrefix(instance.name) } }
        return await [mine] + heard.sorted { ($0.host ?? "", $0.pid ?? 0) < ($1.host ?? "", $1.pid ?? 0) }
            + missing.map { InstanceReport(unanswered: $0) }
    }

    /// The answers that arrive until each of `expected` has answered (when the relay knew who listens) or the wait is up.
    private func collect(
        _ answers: AsyncStream<InstanceReport>, ending arriving: AsyncStream<InstanceReport>.Continuation, from expected: [ListeningInstance]?
    ) async -> [InstanceReport] {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [answerWithin] in
                try? await Task.sleep(for: answerWithin)
                arriving.finish()
            }
            var heard: [String: InstanceReport] = [:]
            for await answer in answers {
                heard[answer.instance] = answer
                if let expected, expected.allSatisfy({ instance in heard.keys.contains { $0.hasPrefix(instance.name) } }) { break }
            }
            group.cancelAll()
            return Array(heard.values)
        }
    }

    /// Reloads this instance's config, as a report.
    func reloadHere(askedBy: String) async -> InstanceReport {
        var report: InstanceReport
        do {
            report = InstanceReport(here, reloaded: try await reload.reload(askedBy: askedBy))
        } catch {
            report = InstanceReport(here, refusedWith: (error as? ConfigurationError)?.diagnostics.map(\.description) ?? ["\(error)"])
        }
        report.here = true
        return report
    }

    /// A payload of the relay's that starts with ``HubFanOut/commandPrefix`` (its keys are sorted: `command` first):
    /// another instance asks for a reload (run in the background, and answered), or answers one asked here.
    func receive(_ payload: String) {
        guard let message = try? ReloadMessage(payload: payload) else {
            logger.warning("ignored a malformed command from another instance")
            return
        }
        switch message.command {
        case .reload:
            guard let asker = message.from, asker != here.instance, let relay else { return }
            background.submit { [self] in
                var report = await reloadHere(askedBy: "admin, through another instance")
                report.here = nil
                do {
                    let answer = ReloadMessage(command: .reloaded, request: message.request, report: report).fitted()
                    try await relay.send([(try answer.payload(), to: [asker])])
                } catch {
                    logger.warning("could not answer another instance's reload", metadata: ["error": "\(String(reflecting: error))"])
                }
            }
        case .reloaded:
            guard let report = message.report else { return }
            _ = collecting.withLock { $0[message.request] }?.yield(report)
        }
    }
}

/// One instance's part in a reload, as `POST /admin/reload` lists it under `instances`.
struct InstanceReport: Codable, Sendable, Equatable {
    enum Status: String, Codable, Sendable {
        case reloaded, refused
        /// The instance listens but did not answer in time.
        case noAnswer = "no_answer"
    }

    /// Which process an instance is, for people: the machine's (the container's, the pod's) name and the process id.
    struct Identity: Sendable {
        var instance: String
        var host: String
        var pid: Int

        /// This process, named `instance` on the relay.
        static func this(_ instance: String) -> Identity {
            Identity(instance: instance, host: ProcessInfo.processInfo.hostName, pid: Int(ProcessInfo.processInfo.processIdentifier))
        }
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

    init(_ identity: Identity, reloaded outcome: ConfigurationReload.Outcome) {
        (instance, host, pid, status) = (identity.instance, identity.host, identity.pid, .reloaded)
        (reloaded, unchanged, restartNeeded, warnings) = (outcome.reloaded, outcome.unchanged, outcome.restartNeeded, outcome.warnings)
    }

    init(_ identity: Identity, refusedWith diagnostics: [String]) {
        (instance, host, pid, status) = (identity.instance, identity.host, identity.pid, .refused)
        self.diagnostics = diagnostics
    }

    init(unanswered instance: ListeningInstance) {
        (self.instance, address, status) = (instance.name, instance.address, .noAnswer)
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

extension ConfigurationReload.Outcome {
    /// The answer of `POST /admin/reload` where `report` (this instance's) reloaded.
    init(_ report: InstanceReport, instances: [InstanceReport]?) {
        self.init(
            reloaded: report.reloaded ?? [], unchanged: report.unchanged ?? [], restartNeeded: report.restartNeeded ?? [], warnings: report.warnings ?? [],
            instances: instances)
    }
}
