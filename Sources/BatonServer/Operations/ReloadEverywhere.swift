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
    /// The other instances, and this one's name among them.
    let instances: InstanceDirectory
    /// Runs a reload another instance asked for, off the relay's listener, so hub events keep flowing meanwhile.
    let background: BackgroundWork
    let answerWithin: Duration
    let logger: Logger
    /// The reloads this instance asked for and still collects answers to, by request.
    private let collecting = Mutex<[String: AsyncStream<InstanceReport>.Continuation]>([:])

    init(
        reload: ConfigurationReload, instances: InstanceDirectory, background: BackgroundWork, answerWithin: Duration = .seconds(5), logger: Logger
    ) {
        self.reload = reload
        self.instances = instances
        self.background = background
        self.answerWithin = answerWithin
        self.logger = logger
    }

    /// `POST /admin/reload`: 200 with this instance's ``Answer`` when no instance refused; 422
    /// `config_invalid` with the diagnostics (another instance's after its host and process) when one did, the
    /// running flows staying on each that refused. With other instances, both list every instance's outcome in
    /// `instances`, this one first.
    func respond() async throws -> Response {
        let reports = await reloadAll()
        let mine = reports[0]
        let listed = instances.relay == nil ? nil : reports
        let refused = reports.filter { $0.status == .refused }
        guard !refused.isEmpty else { return try .json(Answer(mine, instances: listed)) }
        let diagnostics = refused.flatMap { report in (report.diagnostics ?? []).map { report.here == true ? $0 : "\(report.label): \($0)" } }
        let message =
            mine.status == .refused
            ? "the config has errors; the running flows stay"
            : "the config has errors on \(refused.count) other instance\(refused.count == 1 ? "" : "s"); the running flows stay there"
        return try .json(
            Refused(error: .init(code: "config_invalid", message: message, diagnostics: diagnostics), instances: listed),
            status: .unprocessableContent)
    }

    /// Reloads here and asks every other instance to: this instance's report first (so never empty), then the others'
    /// by host and process, then the listening instances that did not answer in time.
    func reloadAll() async -> [InstanceReport] {
        guard let relay = instances.relay else { return [await reloadHere(askedBy: "admin")] }
        let request = UUID().uuidString
        let (answers, arriving) = AsyncStream.makeStream(of: InstanceReport.self)
        collecting.withLock { $0[request] = arriving }
        defer {
            collecting.withLock { $0[request] = nil }
            arriving.finish()
        }
        let others: [ListeningInstance]?
        do {
            others = try await instances.others()
        } catch {
            logger.warning("could not read which instances listen; waiting for answers", metadata: ["error": "\(String(reflecting: error))"])
            others = nil
        }
        if others?.isEmpty == true { return [await reloadHere(askedBy: "admin")] }
        do {
            try await relay.send(try ReloadMessage(command: .reload, request: request, from: instances.here.instance).payload())
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
            report = InstanceReport(instances.here, reloaded: try await reload.reload(askedBy: askedBy))
        } catch {
            report = InstanceReport(instances.here, refusedWith: (error as? ConfigurationError)?.diagnostics.map(\.description) ?? ["\(error)"])
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
            guard let asker = message.from, asker != instances.here.instance, let relay = instances.relay else { return }
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

    /// `POST /admin/reload`'s 200: what this instance put in place (as ``ConfigurationReload/Outcome`` says it) and,
    /// with other instances on the store, what each did, this one first.
    struct Answer: Encodable {
        var reloaded: [String]
        var unchanged: [String]
        var restartNeeded: [String]
        var warnings: [String]
        var instances: [InstanceReport]?

        init(_ mine: InstanceReport, instances: [InstanceReport]?) {
            (reloaded, unchanged, restartNeeded, warnings) = (mine.reloaded ?? [], mine.unchanged ?? [], mine.restartNeeded ?? [], mine.warnings ?? [])
            self.instances = instances
        }
    }

    /// The 422's body: the API's error shape, with the diagnostics, and each instance's part as in ``Answer``.
    struct Refused: Encodable {
        struct Body: Encodable {
            var code: String
            var message: String
            var diagnostics: [String]
        }
        var error: Body
        var instances: [InstanceReport]?
    }
}
