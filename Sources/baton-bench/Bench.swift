import AsyncHTTPClient
import BotStandIn
import ChatwootStandIn
import Foundation
import NIOCore

/// Runs the scenarios in an order that keeps them apart: start-up on fresh processes; relay, latency and Chatwoot
/// calls on one Baton with 50 users in handovers, and on the bare route; sockets last (they need the most
/// descriptors); PostgreSQL with two instances when a server is given.
struct Bench {
    let settings: BenchSettings
    static let users = 50

    func run(only: Set<String>?) async throws -> BenchReport {
        func wants(_ name: String) -> Bool { only?.contains(name) ?? true }
        var report = BenchReport(settings: settings)
        let client = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: .init(connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)))
        do {
            if wants("startup") { report.startup = try await startup() }
            if wants("relay") || wants("ack") || wants("user") || wants("calls") {
                try await relayAndCalls(into: &report, client: client, relay: wants("relay") || wants("ack"), user: wants("user"), calls: wants("calls"))
            }
            if wants("bot") { (report.bot, report.webhookBot) = try await botTurns(client: client) }
            if wants("handovers") { report.handovers = try await handovers(client: client) }
            if wants("channel") { report.chatwootChannel = try await chatwootChannel() }
            if wants("rest") { report.rest = try await restTurns(client: client) }
            if wants("open") {
                report.handoverOpen = try await running(try await BatonRig.start(settings, storage: .sqlite)) { rig in try await HandoverOpenScenario(rig: rig, handovers: 50).run() }
            }
            if wants("sockets") { report.sockets = try await sockets() }
            if wants("postgres"), let url = settings.postgresURL {
                for count in settings.postgresInstances {
                    report.postgresRelays.append(try await postgresRelay(url: url, instances: count, client: client))
                }
            }
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
        return report
    }

    // MARK: Bot turns

    /// A `bot` node's turns on one Baton: against the model stand-in (5 ms a word, as a fast local model), then
    /// against the Rasa stand-in, each user in a session of their own.
    func botTurns(client: HTTPClient) async throws -> (model: BotScenario.Figures, webhook: BotScenario.Figures) {
        let model = try await OpenAIStandIn.start(.init(flavor: .openai, pieceDelay: .milliseconds(5)))
        return try await afterwards({ await model.shutdown() }) {
            let rasa = try await RasaStandIn.start()
            return try await afterwards({ await rasa.shutdown() }) {
                try await running(try await BatonRig.start(settings, storage: .sqlite, bots: .init(model: model.baseURL, webhook: rasa.webhookURL))) { rig in
                    (
                        model: try await BotScenario(rig: rig, bot: .model(model), client: client, turns: 200).run(),
                        webhook: try await BotScenario(rig: rig, bot: .webhook(rasa), client: client, turns: 200).run()
                    )
                }
            }
        }
    }

    /// A bot that uses the handovers API: one handover on one Baton, its user's messages and the agent's replies.
    func handovers(client: HTTPClient) async throws -> HandoversScenario.Figures {
        let callback = try await CallbackReceiver.start()
        return try await afterwards({ await callback.stop() }) {
            try await running(try await BatonRig.start(settings, storage: .sqlite, bots: .init(callback: callback.url))) { rig in
                try await HandoversScenario(rig: rig, callback: callback, client: client, turns: 200).run()
            }
        }
    }

    /// A contact's turns with the flow on a Chatwoot inbox.
    func chatwootChannel() async throws -> ChatwootChannelScenario.Figures {
        try await running(try await BatonRig.start(settings, storage: .sqlite, chatwootChannel: true)) { rig in
            try await ChatwootChannelScenario(rig: rig, turns: 200).run()
        }
    }

    /// A user's turns with the flow over the REST channel.
    func restTurns(client: HTTPClient) async throws -> RESTScenario.Figures {
        try await running(try await BatonRig.start(settings, storage: .sqlite)) { rig in
            try await RESTScenario(rig: rig, client: client, turns: 200).run()
        }
    }

    /// `body`'s result on `rig`, which is stopped after it, whether `body` returned or threw.
    func running<T>(_ rig: BatonRig, _ body: (BatonRig) async throws -> T) async throws -> T {
        try await afterwards({ await rig.stop() }) { try await body(rig) }
    }

    /// `body`'s result, once `cleanup` ran after it, whether `body` returned or threw.
    func afterwards<T>(_ cleanup: () async -> Void, _ body: () async throws -> T) async throws -> T {
        let result: Result<T, any Error>
        do { result = .success(try await body()) } catch { result = .failure(error) }
        await cleanup()
        return try result.get()
    }

    // MARK: Start-up

    func startup() async throws -> BenchReport.Startup {
        var result = BenchReport.Startup()
        var times: [Double] = []
        var resident: [(all: Int, anonymous: Int)] = []
        for _ in 0..<3 {
            let rig = try await BatonRig.start(settings, storage: .sqlite)
            times.append(rig.instances[0].startToReady / .milliseconds(1))
            // Idle: after the start-up work (migrations, agent bot, reconciliation) has settled.
            try await Task.sleep(for: .seconds(1))
            resident.append((rig.instances[0].residentBytes, rig.instances[0].anonymousBytes))
            await rig.stop()
        }
        result.batonStartToReadyMs = times.sorted()[1]
        (result.batonIdleResident, result.batonIdleAnonymous) = resident.sorted { $0.all < $1.all }[1]
        let bare = try await startBare()
        result.bareStartToReadyMs = bare.process.startToReady / .milliseconds(1)
        try await Task.sleep(for: .seconds(1))
        result.bareIdleResident = bare.process.residentBytes
        result.bareIdleAnonymous = bare.process.anonymousBytes
        bare.process.stop()
        return result
    }

    // MARK: Relay, latency, Chatwoot calls

    func relayAndCalls(into report: inout BenchReport, client: HTTPClient, relay: Bool, user: Bool, calls: Bool) async throws {
        let rig = try await BatonRig.start(settings, storage: .sqlite)
        let desk = ArrivalDesk()
        let users = try await rig.handedOverUsers(Self.users) { desk.receive($0) }
        let templates = try await rig.agentReplyTemplates(users)
        let chatwoot = ChatwootCallsScenario(rig: rig, client: client)
        do {
            if relay {
                await rig.standIn.clearRecords()
                let load = WebhookLoad(client: client, url: rig.webhookURL, secret: rig.secret, templates: templates)
                let cpuBefore = rig.instances.map(\.cpuSeconds)
                let receivedBefore = desk.count
                let scenario = RelayScenario(load: load, desk: desk, seconds: settings.seconds, servers: rig.instances)
                report.relay = try await scenario.run()
                report.relay?.cpuMsPerMessage = Self.cpuMsPerMessage(rig.instances, since: cpuBefore, relayed: desk.count - receivedBefore)
                report.relay?.chatwootCalls = await rig.standIn.requests().count
                let bare = try await BareRelay.start(templates: templates, client: client, bench: self)
                do {
                    report.bareRelay = try await bare.run()
                    // More rounds, Baton's and the bare route's in turn, for the ratios (`RelayScenario.round()`).
                    for _ in 1..<Self.relayRounds {
                        let (batonRound, batonLost, batonRefused) = try await scenario.round()
                        let (bareRound, bareLost, bareRefused) = try await bare.scenario.round()
                        report.relay?.rounds.append(batonRound)
                        report.relay?.roundsLost += batonLost
                        report.relay?.roundsRefused += batonRefused
                        report.bareRelay?.rounds.append(bareRound)
                        report.bareRelay?.roundsLost += bareLost
                        report.bareRelay?.roundsRefused += bareRefused
                    }
                } catch {
                    await bare.stop()
                    throw error
                }
                await bare.stop()
            }
            if user {
                let slow = try await chatwoot.userMessages(users, rate: 250, seconds: settings.seconds)
                let fast = try await chatwoot.userMessages(users, rate: 1000, seconds: settings.seconds)
                report.calls.userToChatwoot250 = slow.latencies
                report.calls.userToChatwoot = fast.latencies
                report.calls.userMessagesSent = slow.sent + fast.sent
                report.calls.userMessagesReceived = slow.received + fast.received
                report.calls.userMessagesDuplicated = slow.duplicated + fast.duplicated
                report.calls.userMessageCalls = slow.calls.merging(fast.calls, uniquingKeysWith: +)
                report.calls.callsPerUserMessage = Double(report.calls.userMessageCalls.values.reduce(0, +)) / Double(slow.sent + fast.sent)
            }
            if calls {
                let replies = 200
                report.calls.callsPerAgentReply = Double(try await chatwoot.agentReplies(users, count: replies, desk: desk)) / Double(replies)
                for turns in [0, 5, 20] { report.calls.handoverCalls[turns] = try await chatwoot.handoverCalls(turns: turns) }
                for _ in 0..<2 { report.calls.checkedHandoverCalls.append(try await chatwoot.handoverCalls(turns: 0, keyword: "queue")) }
            }
        } catch {
            await rig.stop()
            throw error
        }
        await SocketsScenario.closeAll(users.map(\.socket))
        await rig.stop()
    }

    /// How many rounds of the relay's throughput and p99s at 1,000 and 2,000 msg/s are run, Baton's and the bare
    /// route's in turn; the ratios are the median of the rounds' (`RelayScenario.round()`).
    static let relayRounds = 3

    /// The same load on the bare route: one socket per conversation, the same webhook bodies.
    struct BareRelay {
        let bare: Bare
        let sockets: [BenchSocket]
        let desk: ArrivalDesk
        let scenario: RelayScenario

        static func start(templates: [AgentReplyTemplate], client: HTTPClient, bench: Bench) async throws -> BareRelay {
            let bare = try await bench.startBare()
            let desk = ArrivalDesk()
            var sockets: [BenchSocket] = []
            for template in templates {
                sockets.append(try await BenchSocket.open(url: bare.socketURL(template.conversation), hello: nil) { desk.receive($0) })
            }
            let load = WebhookLoad(client: client, url: bare.url + "/push", secret: "unused", templates: templates)
            let scenario = RelayScenario(load: load, desk: desk, seconds: bench.settings.seconds, servers: [bare.process])
            return BareRelay(bare: bare, sockets: sockets, desk: desk, scenario: scenario)
        }

        /// Every phase of the relay, as Baton's ran, with the route's processor time per message over them.
        func run() async throws -> RelayScenario.Figures {
            let cpuBefore = bare.process.cpuSeconds
            var figures = try await scenario.run()
            figures.cpuMsPerMessage = Bench.cpuMsPerMessage([bare.process], since: [cpuBefore], relayed: desk.count)
            return figures
        }

        func stop() async {
            await SocketsScenario.closeAll(sockets)
            bare.process.stop()
        }
    }

    /// The processor time each process used per relayed message since `before` (milliseconds; a message is counted
    /// once, whichever processes it went through).
    static func cpuMsPerMessage(_ processes: [ChildProcess], since before: [Double], relayed: Int) -> [Double] {
        zip(processes.map(\.cpuSeconds), before).map { ($0 - $1) * 1_000 / Double(Swift.max(1, relayed)) }
    }

    struct Bare {
        let process: ChildProcess
        let url: String
        func socketURL(_ conversation: Int) -> String { url.replacingOccurrences(of: "http://", with: "ws://") + "/socket/\(conversation)" }
    }

    func startBare() async throws -> Bare {
        let process = try await ChildProcess.start(settings.bench, arguments: ["bare-server"]) { $0.contains("bare server listening") }
        guard let port = process.readyLine.split(separator: " ").last.flatMap({ Int($0) }) else { throw BenchError("no port in '\(process.readyLine)'") }
        return Bare(process: process, url: "http://127.0.0.1:\(port)")
    }

    // MARK: Sockets

    func sockets() async throws -> BenchReport.Sockets {
        var result = BenchReport.Sockets()
        let count = settings.sockets
        // The bare server first: its sockets are closed before Baton's are opened.
        let bare = try await startBare()
        let (bareSockets, bareFigures) = try await SocketsScenario.hold(count, server: bare.process) { number in
            try await BenchSocket.open(url: bare.socketURL(number), hello: nil) { _ in }
        }
        result.bare = bareFigures
        await SocketsScenario.closeAll(bareSockets)
        bare.process.stop()

        let rig = try await BatonRig.start(settings, storage: .sqlite)
        let url = rig.socketURL()
        let open: @Sendable (Int) async throws -> BenchSocket = { _ in try await BenchSocket.open(url: url, hello: #"{"type":"hello"}"#) { _ in } }
        let (sockets, figures) = try await SocketsScenario.hold(count, server: rig.instances[0], open: open)
        result.baton = figures
        // On to the cap: the open-file limit allows 20,000 descriptors, and Baton's default cap stays 1,024 below it.
        let (extra, refusal) = await SocketsScenario.openUntilRefused(alreadyOpen: sockets.count, limit: 25_000 - sockets.count, open: open)
        result.baton.openAtRefusal = sockets.count + extra.count
        result.baton.refusal = refusal
        result.baton.aliveAfterRefusal = rig.instances[0].isRunning
        result.batonResidentAtCap = rig.instances[0].residentBytes
        result.batonOpenFilesAtCap = rig.instances[0].openFiles
        await SocketsScenario.closeAll(sockets + extra)
        await rig.stop()
        return result
    }

    // MARK: PostgreSQL

    /// `count` Baton processes on one database (a fresh one each time), as behind a load balancer: webhooks spread
    /// over them with no regard to the conversation (`WebhookLoad.url(_:)`), users' sockets spread over them, so a
    /// message crosses instances unless its webhook and its user's socket happen to share one (half of them with
    /// two instances, two thirds with three).
    func postgresRelay(url: String, instances count: Int, client: HTTPClient) async throws -> RelayScenario.Figures {
        let database = try await Self.freshDatabase(url)
        let rig = try await BatonRig.start(settings, storage: .postgres(url: database), count: count)
        let desk = ArrivalDesk()
        do {
            try Self.psql(database, Self.earlierUsersSQL)
            let users = try await rig.handedOverUsers(Self.users, instances: Array(0..<count)) { desk.receive($0) }
            let templates = try await rig.agentReplyTemplates(users)
            let load = WebhookLoad(client: client, urls: rig.webhookURLs, secret: rig.secret, templates: templates)
            let cpuBefore = rig.instances.map(\.cpuSeconds)
            let receivedBefore = desk.count
            var figures = try await RelayScenario(load: load, desk: desk, seconds: settings.seconds, servers: rig.instances).run()
            figures.instances = count
            figures.cpuMsPerMessage = Self.cpuMsPerMessage(rig.instances, since: cpuBefore, relayed: desk.count - receivedBefore)
            await SocketsScenario.closeAll(users.map(\.socket))
            await rig.stop()
            let relayed = Double(Swift.max(1, desk.count - receivedBefore))
            figures.postgresTransactionsPerMessage = try await Self.transactions(of: database).map { $0 / relayed }
            if let counted = Self.statements(of: database) {
                figures.postgresCommitsPerMessage = counted.commits / relayed
                figures.postgresPlanningPerMessage = counted.planning.map {
                    RelayScenario.PlanningShare(statements: $0.plans / relayed, milliseconds: $0.milliseconds / relayed)
                }
            }
            return figures
        } catch {
            await rig.stop()
            throw error
        }
    }
}

extension Bench {
    /// A new, empty database on the server of `url` (made with `psql`, which `scripts/start-postgres` installs), as
    /// the URL to use it.
    static func freshDatabase(_ url: String) async throws -> String {
        let name = "bench_\(UUID().uuidString.prefix(8).lowercased())"
        try psql(url, "CREATE DATABASE \(name)")
        guard var components = URLComponents(string: url) else { throw BenchError("not a URL: \(url)") }
        components.path = "/" + name
        let database = components.string ?? url
        // Where the server loads it (`scripts/start-postgres` for the bench): its statements' planning, reported.
        try? psql(database, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        return database
    }

    /// What PostgreSQL's `pg_stat_statements` counted in the database of `url`, set-up included; nil when the server
    /// does not load it. `commits`: the `COMMIT`s (plain or `AND CHAIN`) Baton sent, its write transactions, the
    /// group commit's nearly all. What else PostgreSQL counts as a transaction is a statement sent on its own, and
    /// each time a listening connection was woken to read the notification queue: every commit that notifies wakes
    /// every connection listening in the database, whatever channels it listens on, and each reads the queue in a
    /// transaction of its own. `planning`: the statements it planned and its milliseconds of planning, when it counts
    /// them (`track_planning`).
    static func statements(of url: String) -> (commits: Double, planning: (plans: Double, milliseconds: Double)?)? {
        let sql = """
            SELECT coalesce(sum(calls) FILTER (WHERE query IN ('COMMIT', 'COMMIT AND CHAIN')), 0) || ' ' || coalesce(sum(plans), 0) || ' '
                || coalesce(sum(total_plan_time), 0) || ' ' || current_setting('pg_stat_statements.track_planning')
            FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
            """
        guard let value = try? psqlValue(url, sql) else { return nil }
        let parts = value.split(separator: " ")
        guard parts.count == 4, let commits = Double(parts[0]), let plans = Double(parts[1]), let milliseconds = Double(parts[2]) else { return nil }
        return (commits, parts[3] == "on" ? (plans, milliseconds) : nil)
    }

    /// How many users wrote before the PostgreSQL phases start: a deployment's sessions table holds a row for every
    /// user who ever wrote, so a statement that reads the whole table instead of its key costs what it would there.
    static let earlierUsers = 100_000

    /// Sessions of `earlierUsers` users, idle (no handover, no timer), and the statistics autovacuum would have
    /// gathered on them.
    static let earlierUsersSQL = """
        INSERT INTO sessions (id, endpoint_id, user_id, channel, state, created_at, updated_at)
        SELECT 'earlier-' || n, 'earlier', 'user-' || n, 'webchat', '{}', 0, 0 FROM generate_series(1, \(earlierUsers)) AS n;
        ANALYZE sessions;
        """

    /// Runs `sql` with `psql` on the database of `url`.
    static func psql(_ url: String, _ sql: String) throws {
        _ = try psqlValue(url, sql)
    }

    /// The transactions PostgreSQL counted in the database of `url`, once none of its connections is left (up to 10
    /// s): a busy backend reports its counts at most once a second, and every backend when it ends.
    static func transactions(of url: String) async throws -> Double? {
        let others = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        let deadline = ContinuousClock.now + .seconds(10)
        while try psqlValue(url, others) != "0", ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
        return Double(try psqlValue(url, "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()"))
    }

    /// The output of `sql` run by `psql` on `url`, unaligned and without headers (one value for one row and column).
    static func psqlValue(_ url: String, _ sql: String) throws -> String {
        let psql = Process()
        let output = Pipe()
        psql.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        psql.arguments = ["psql", url, "-v", "ON_ERROR_STOP=1", "-q", "-A", "-t", "-c", sql]
        psql.standardOutput = output
        try psql.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        psql.waitUntilExit()
        guard psql.terminationStatus == 0 else { throw BenchError("psql failed: \(sql.prefix(60))") }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
