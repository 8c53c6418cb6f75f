import Foundation

/// Every figure of one run, with the machine and the command, as JSON and as the Markdown in BENCHMARKS.md.
struct BenchReport: Codable, Sendable {
    struct Startup: Codable, Sendable {
        var batonStartToReadyMs: Double = 0
        var batonIdleResident = 0
        /// Of which the process's own (see `ChildProcess.anonymousBytes`).
        var batonIdleAnonymous = 0
        var bareStartToReadyMs: Double = 0
        var bareIdleResident = 0
        var bareIdleAnonymous = 0
    }

    struct Sockets: Codable, Sendable {
        var baton = SocketsScenario.Figures()
        var bare = SocketsScenario.Figures()
        var batonResidentAtCap = 0
        var batonOpenFilesAtCap = 0
    }

    var date: String
    var machine: String
    var command: String
    var seconds: Int
    var startup: Startup?
    var relay: RelayScenario.Figures?
    var bareRelay: RelayScenario.Figures?
    /// One, two and three instances on PostgreSQL.
    var postgresRelays: [RelayScenario.Figures] = []
    var calls = ChatwootCallsScenario.Figures()
    var sockets: Sockets?
    /// A `bot` node's turns with a language model (OpenAI-compatible), and with a webhook bot (Rasa's REST channel).
    var bot: BotScenario.Figures?
    var webhookBot: BotScenario.Figures?
    /// A bot that uses the handovers API.
    var handovers: HandoversScenario.Figures?
    /// A contact's turns with the flow on a Chatwoot inbox.
    var chatwootChannel: ChatwootChannelScenario.Figures?
    /// A user's turns with the flow over the REST channel.
    var rest: RESTScenario.Figures?
    /// Users asking for an agent, one after another.
    var handoverOpen: HandoverOpenScenario.Figures?

    init(settings: BenchSettings) {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate, .withTime, .withColonSeparatorInTime, .withSpaceBetweenDateAndTime]
        date = formatter.string(from: Date()) + " UTC"
        machine = Self.describeMachine()
        command = "scripts/bench" + (CommandLine.arguments.count > 1 ? "  (baton-bench " + CommandLine.arguments.dropFirst().filter { !$0.hasPrefix("postgres://") }.joined(separator: " ") + ")" : "")
        seconds = settings.seconds
    }

    static func describeMachine() -> String {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }.map { $0.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "" } ?? "unknown CPU"
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let memory = ProcessInfo.processInfo.physicalMemory / (1 << 30)
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        var name = utsname()
        uname(&name)
        let kernel = withUnsafeBytes(of: &name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return "\(model), \(cores) cores, \(memory) GiB, open-file limit \(limit.rlim_cur), Linux \(kernel)"
    }

    func writeJSON(to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: url)
    }

    static let begin = "<!-- bench:results:begin (written by scripts/bench; edit outside these markers) -->"
    static let end = "<!-- bench:results:end -->"

    /// Replaces what lies between the markers of `file` (or appends the markers and the results).
    func write(into file: URL) throws {
        let existing = (try? String(contentsOf: file, encoding: .utf8)) ?? "# Benchmarks\n\n"
        let block = Self.begin + "\n\n" + markdown + "\n" + Self.end
        let updated: String
        if let start = existing.range(of: Self.begin), let stop = existing.range(of: Self.end), start.upperBound <= stop.lowerBound {
            updated = existing.replacingCharacters(in: start.lowerBound..<stop.upperBound, with: block)
        } else {
            updated = existing + "\n" + block + "\n"
        }
        try updated.write(to: file, atomically: true, encoding: .utf8)
    }
}
