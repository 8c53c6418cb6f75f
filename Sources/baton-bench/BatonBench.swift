import ArgumentParser
import Foundation

/// `baton-bench`: measures a release build of Baton on loopback, side by side with a bare Hummingbird route,
/// and writes the figures into BENCHMARKS.md. Run through `scripts/bench`, which builds and starts what it needs.
@main
struct BatonBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baton-bench",
        abstract: "Measure Baton's relay, latency, sockets, memory and Chatwoot calls against a bare Hummingbird route.",
        subcommands: [Run.self, BareServer.self],
        defaultSubcommand: Run.self)
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run every scenario and report (the default command).")

    @Option(help: "The baton executable to measure (a release build).")
    var baton = ".build/release/baton"

    @Option(help: "This executable, started again as the bare server (default: the running one).")
    var bench: String?

    @Option(help: "A PostgreSQL server URL for the two-instance relay; without one that scenario is skipped.")
    var postgresURL: String?

    @Option(help: "Write the results between the markers of this Markdown file.")
    var write: String?

    @Option(help: "Write the raw results as JSON here.")
    var json: String?

    @Option(help: "Seconds each measured load runs.")
    var seconds = 5

    @Option(help: "Webchat sockets to hold open for the per-socket memory figure.")
    var sockets = 10_000

    @Option(help: "Only these scenarios (comma-separated: startup,relay,ack,user,calls,open,bot,handovers,channel,rest,sockets,postgres).")
    var only: String?

    @Option(help: "How many Baton instances the PostgreSQL relay runs with, one phase each (comma-separated).")
    var postgresInstances = "1,2,3"

    func run() async throws {
        let selected = only.map { Set($0.split(separator: ",").map(String.init)) }
        let settings = BenchSettings(
            baton: URL(fileURLWithPath: baton).standardizedFileURL,
            bench: URL(fileURLWithPath: bench ?? CommandLine.arguments[0]).standardizedFileURL,
            postgresURL: postgresURL, postgresInstances: postgresInstances.split(separator: ",").compactMap { Int($0) }, seconds: seconds,
            sockets: sockets)
        let report = try await Bench(settings: settings).run(only: selected)
        print(report.markdown)
        if let json { try report.writeJSON(to: URL(fileURLWithPath: json)) }
        if let write { try report.write(into: URL(fileURLWithPath: write)) }
    }
}

/// What every scenario needs to know.
struct BenchSettings: Sendable {
    let baton: URL
    let bench: URL
    let postgresURL: String?
    let postgresInstances: [Int]
    let seconds: Int
    let sockets: Int
}
