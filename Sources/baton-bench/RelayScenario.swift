import AsyncHTTPClient
import Foundation
import Synchronization

/// Routes the frames every socket receives to the stopwatch of the phase being measured.
final class ArrivalDesk: Sendable {
    private let current = Mutex<Stopwatch?>(nil)
    private let received = Atomic<Int>(0)

    func measure(with stopwatch: Stopwatch) { current.withLock { $0 = stopwatch } }

    /// Measured frames received so far, in every phase (a frame received twice counts twice).
    var count: Int { received.load(ordering: .relaxed) }

    func receive(_ text: String) {
        let now = Stopwatch.now()
        // Frames without a marker (greetings, notices, echoes of the user's own messages) are not measured.
        guard let number = number(after: "bench:", in: text) else { return }
        received.add(1, ordering: .relaxed)
        current.withLock { $0 }?.arrived(number, at: now)
    }
}

/// Agent replies relayed to users' sockets, measured the same way for Baton and for the bare route: a closed
/// loop for throughput, then open loops at fixed rates for latency.
final class RelayScenario: Sendable {
    let load: WebhookLoad
    let desk: ArrivalDesk
    let seconds: Int
    /// The servers measured (Baton's instances, or the bare route), for the processor time they use.
    let servers: [ChildProcess]
    /// Numbers each phase from its own range, so a straggler of one phase is never counted in another.
    private let numbering = Mutex(0)

    init(load: WebhookLoad, desk: ArrivalDesk, seconds: Int, servers: [ChildProcess]) {
        self.load = load
        self.desk = desk
        self.seconds = seconds
        self.servers = servers
    }

    /// Where the machine's processor time went while the throughput was measured, per relayed message
    /// (milliseconds): what a second instance on the same cores competes with.
    struct ProcessorShares: Sendable, Codable {
        /// The servers measured, together.
        var servers = 0.0
        /// PostgreSQL's server and backends (0 without it).
        var postgres = 0.0
        /// The bench's own process: the load, the users' sockets and the Chatwoot stand-in.
        var bench = 0.0
        /// The rest of the machine's busy time (other programs, the kernel's work outside these processes).
        var rest = 0.0

        /// Processor seconds used so far by each, and the whole machine's busy time.
        struct Sample {
            var servers: Double, postgres: Double, bench: Double, machine: Double

            init(_ servers: [ChildProcess]) {
                self.servers = servers.map(\.cpuSeconds).reduce(0, +)
                postgres = ChildProcess.cpuSeconds(ofProcessesNamed: "postgres")
                bench = ChildProcess.ownCPUSeconds
                machine = ChildProcess.machineTicks().busy / Double(sysconf(Int32(_SC_CLK_TCK)))
            }
        }

        init() {}

        init(from before: Sample, to after: Sample, messages: Int) {
            let perMessage = { (used: Double) in used * 1_000 / Double(Swift.max(1, messages)) }
            servers = perMessage(after.servers - before.servers)
            postgres = perMessage(after.postgres - before.postgres)
            bench = perMessage(after.bench - before.bench)
            rest = Swift.max(0, perMessage(after.machine - before.machine) - servers - postgres - bench)
        }
    }

    /// What PostgreSQL spent planning statements, per relayed message.
    struct PlanningShare: Sendable, Codable {
        var statements: Double
        var milliseconds: Double
    }

    struct Figures: Sendable, Codable {
        var throughput: Double = 0
        var throughputLost = 0
        var relay1000 = Latencies()
        var ack1000 = Latencies()
        var lost1000 = 0
        var refused1000 = 0
        var relay2000 = Latencies()
        var ack2000 = Latencies()
        var lost2000 = 0
        var refused2000 = 0
        /// At a rate every server here sustains, to show latency without a queue.
        var relay250 = Latencies()
        var lost250 = 0
        /// Calls Baton made to Chatwoot while it relayed all of these (agent replies should cost none).
        var chatwootCalls: Int?
        /// Several instances: how many.
        var instances: Int?
        /// The processor time each server process used per relayed message over every phase (milliseconds; a
        /// message is counted once, whichever instances it went through). Steadier than the throughput on a
        /// shared machine: it does not depend on what else takes the cores.
        var cpuMsPerMessage: [Double]?
        /// PostgreSQL's transactions (its own count, `pg_stat_database`) per relayed message over every phase, the
        /// phase's set-up included: how many messages share a write transaction or an announcement.
        var postgresTransactionsPerMessage: Double?
        /// Of them, the ones Baton committed (its write transactions) per relayed message, over the same phases
        /// (`pg_stat_statements`, when the server loads it); the rest are lone statements and listeners woken.
        var postgresCommitsPerMessage: Double?
        /// The statements PostgreSQL planned, and its milliseconds of planning, per relayed message over every phase,
        /// the set-up included (`pg_stat_statements`, when the server loads it).
        var postgresPlanningPerMessage: PlanningShare?
        /// How busy the machine's cores were while the throughput was measured (0...1, from `/proc/stat`): every
        /// server, the database, the load and the stand-in share them.
        var machineBusy: Double?
        /// Who used the machine's processor time while the throughput was measured, per relayed message.
        var throughputShares: ProcessorShares?

        /// The closed loop's throughput and the p99s at 1,000 and 2,000 msg/s of each round, the first from the
        /// phases above: the ratios to the bare route are taken round by round, each beside the bare route's (see
        /// ``round()``).
        var rounds: [Round] = []
        /// Messages sent in the rounds after the first and never seen on a socket, and webhooks not answered 200.
        var roundsLost = 0, roundsRefused = 0

        /// The median of the rounds' throughput; the closed loop's alone when there are no rounds.
        var medianThroughput: Double { BenchReport.median(rounds.map(\.throughput)) ?? throughput }

        /// Messages sent and never seen on a socket, in every phase.
        var lost: Int { throughputLost + lost250 + lost1000 + lost2000 + roundsLost }
        /// Webhooks not answered 200 within 10 s.
        var refused: Int { refused1000 + refused2000 + roundsRefused }
    }

    /// One round's throughput, and p99 at 1,000 and 2,000 msg/s (ms).
    struct Round: Sendable, Codable {
        var throughput: Double
        var p99At1000: Double?
        var p99At2000: Double?
    }

    static let senders = 32

    func nextRange() -> Int {
        numbering.withLock { value in
            value += 1_000_000
            return value
        }
    }

    func run() async throws -> Figures {
        var figures = Figures()
        // Warm-up: connections, caches and the JIT-free but cold code paths.
        _ = try await closedLoop(seconds: 1)
        let machineBefore = ChildProcess.machineTicks()
        let (sharesBefore, receivedBefore) = (ProcessorShares.Sample(servers), desk.count)
        let (throughput, lost) = try await closedLoop(seconds: seconds)
        let machineAfter = ChildProcess.machineTicks()
        figures.throughputShares = ProcessorShares(from: sharesBefore, to: ProcessorShares.Sample(servers), messages: desk.count - receivedBefore)
        figures.machineBusy = (machineAfter.busy - machineBefore.busy) / Swift.max(1, machineAfter.total - machineBefore.total)
        figures.throughput = throughput
        figures.throughputLost = lost
        (figures.relay250, _, figures.lost250, _) = try await openLoop(rate: 250)
        (figures.relay1000, figures.ack1000, figures.lost1000, figures.refused1000) = try await openLoop(rate: 1000)
        (figures.relay2000, figures.ack2000, figures.lost2000, figures.refused2000) = try await openLoop(rate: 2000)
        figures.rounds = [Round(throughput: throughput, p99At1000: figures.relay1000.p99, p99At2000: figures.relay2000.p99)]
        return figures
    }

    /// Another round of the measures that are compared with the bare route's as ratios: the closed loop and the
    /// open loops at 1,000 and 2,000 msg/s. Run in turn with the bare route's, so that each pair meets the machine as
    /// it is at that moment: on a shared machine the same build's figures drift by a fifth within minutes.
    func round() async throws -> (Round, lost: Int, refused: Int) {
        let (throughput, lostInLoop) = try await closedLoop(seconds: seconds)
        let (at1000, _, lostAt1000, refusedAt1000) = try await openLoop(rate: 1000)
        let (at2000, _, lostAt2000, refusedAt2000) = try await openLoop(rate: 2000)
        let round = Round(throughput: throughput, p99At1000: at1000.p99, p99At2000: at2000.p99)
        return (round, lostInLoop + lostAt1000 + lostAt2000, refusedAt1000 + refusedAt2000)
    }

    /// Messages per second from the first send to the last frame, and how many never arrived.
    func closedLoop(seconds: Int) async throws -> (Double, Int) {
        let stopwatch = Stopwatch()
        desk.measure(with: stopwatch)
        let start = Stopwatch.now()
        let outcome = await load.closedLoop(senders: Self.senders, seconds: seconds, first: nextRange(), stopwatch: stopwatch)
        _ = await stopwatch.waitForArrivals(outcome.sent - outcome.refused, timeout: .seconds(30))
        let end = stopwatch.lastArrival ?? Stopwatch.now()
        let delivered = stopwatch.arrivedCount
        return (Double(delivered) / (Double(end - start) / 1e9), outcome.sent - delivered)
    }

    func openLoop(rate: Int) async throws -> (Latencies, Latencies, Int, Int) {
        let stopwatch = Stopwatch()
        desk.measure(with: stopwatch)
        let outcome = await load.openLoop(rate: rate, seconds: seconds, first: nextRange(), stopwatch: stopwatch)
        _ = await stopwatch.waitForArrivals(outcome.sent - outcome.refused, timeout: .seconds(30))
        return (stopwatch.latencies(), outcome.acknowledgements, stopwatch.missing(), outcome.refused)
    }
}
