import ArgumentParser
import BatonConfig
import BatonCore
import BatonServer
import BotStandIn
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals

/// The `baton` command: serve (the default), check, doctor, health, migrate, backup, restore, chatwoot setup, version.
@main
struct Baton: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "baton",
        abstract: "A bot-to-human handover server: webchat and REST in front, Chatwoot agents behind.",
        version: version,
        subcommands: [Serve.self, Check.self, Doctor.self, Health.self, Migrate.self, Backup.self, Restore.self, ChatwootCommand.self, Version.self],
        defaultSubcommand: Serve.self)
}

/// Options shared by the commands that read a config file.
struct ConfigOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: "The config file (default: $BATON_CONFIG, else the built-in demo).")
    var config: String?

    func path() throws -> String {
        if let config { return config }
        if let fromEnvironment = ProcessInfo.processInfo.environment["BATON_CONFIG"], !fromEnvironment.isEmpty { return fromEnvironment }
        guard let demo = DemoConfiguration.configPath else { throw ValidationError("the built-in demo config is missing from this build") }
        return demo
    }

    var isDemo: Bool { config == nil && (ProcessInfo.processInfo.environment["BATON_CONFIG"] ?? "").isEmpty }

    /// The config, for a command that uses its store (its warnings are `baton check`'s): the demo's database where the
    /// demo keeps it.
    func loadForStore() throws -> BatonConfiguration {
        var (configuration, _) = try Check.load(path())
        if isDemo { configuration.storage.sqlitePath = Self.demoSQLitePath }
        return configuration
    }

    /// Where the demo keeps its SQLite data: the working directory, not inside the build folder it ships in.
    static var demoSQLitePath: String {
        ProcessInfo.processInfo.environment["BATON_STORAGE_SQLITE_PATH"] ?? FileManager.default.currentDirectoryPath + "/data/baton.sqlite"
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the server (the default command).")

    @OptionGroup var options: ConfigOptions

    @Flag(help: "Run the demo without its built-in Chatwoot stand-in (handovers then fail as 'unsupported').")
    var noChatwoot = false

    @Flag(help: "Reload the flows and notices whenever the config file or one of its flows changes (for writing flows).")
    var watch = false

    func run() async throws {
        let path = try options.path()
        var (loaded, warnings) = try Check.load(path)
        // SIGHUP reads the file again for its flows and notices; what the demo sets below is the command's, not the file's.
        let source = ConfigurationSource(asLoaded: loaded, signal: .sighup, watchEvery: watch ? .milliseconds(500) : nil) { try ConfigLoader().load(path: path) }
        // Before anything uses SwiftNIO's shared event loops (the server's and every HTTP client's), which are made
        // once, with this many threads, when first asked for.
        if let loops = loaded.server.eventLoops { NIOSingletons.groupLoopCountSuggestion = loops }
        let logger = Logger.baton(loaded.log)
        // Before any HTTP client is made (the demo's stand-ins make some): AsyncHTTPClient takes the tracer then.
        let tracing = try BatonTracing.bootstrap(loaded.tracing, logger: logger)
        let banner = StartBanner(format: loaded.log.format, logger: logger)
        if options.isDemo {
            loaded.storage.sqlitePath = ConfigOptions.demoSQLitePath
            if ProcessInfo.processInfo.environment["BATON_SERVER_PORT"] == nil, !PortProbe.isFree(loaded.server.port) {
                let free = PortProbe.firstFree(from: loaded.server.port + 1)
                banner.say("Port \(loaded.server.port) is busy; the demo uses \(free) (set BATON_SERVER_PORT to choose).")
                loaded.server.port = free
            }
        }
        var demoStandIn: DemoStandIn?
        if options.isDemo, !noChatwoot {
            // The stand-in must know Baton's URL for its webhooks before Baton starts, hence the fixed port above.
            let standIn = try await DemoStandIn.start(
                host: loaded.server.host, port: PortProbe.firstFree(from: 3000), batonURL: loaded.baseURL(port: loaded.server.port))
            for index in loaded.endpoints.indices { loaded.endpoints[index].handover = .chatwoot(standIn.settings) }
            // The first endpoint also answers the stand-in's WhatsApp inbox, as Chatwoot's agent bot.
            if !loaded.endpoints.isEmpty { loaded.endpoints[0].chatwoot = ChatwootChannelSettings(inboxes: [standIn.whatsappInbox]) }
            demoStandIn = standIn
        }
        // The demo's assistant: the model stand-in, in this process, unless the bot was pointed at a real server.
        var demoModel: OpenAIStandIn?
        if options.isDemo, ProcessInfo.processInfo.environment[DemoModel.baseURLVariable] == nil,
            case .openAI(var model)? = loaded.bots[DemoModel.botName]?.kind
        {
            // Written a word at a time, as a local model would, so the demo shows the answer growing.
            let standIn = try await OpenAIStandIn.start(.init(flavor: .ollama, pieceDelay: .milliseconds(70)))
            model.baseURL = standIn.baseURL
            loaded.bots[DemoModel.botName]?.kind = .openAI(model)
            demoModel = standIn
        }
        let demo = demoStandIn
        let configuration = loaded
        // The demo's endpoint gets its handover settings from the stand-in below, after the file was checked.
        for warning in warnings where demo == nil || !warning.message.contains("no handover settings") {
            logger.warning("\(warning)")
        }
        var dependencies = try AppDependencies.live(configuration, logger: logger)
        dependencies.configurationSource = source
        dependencies.metrics.bootstrapSwiftMetrics()
        // Started first and stopped last, so the spans of the shutdown are exported too.
        if let tracing { dependencies.services.insert(tracing, at: 0) }
        let app = try await buildApplication(configuration: configuration, dependencies: dependencies, logger: logger) { port in
            let base = configuration.baseURL(port: port)
            var lines = [StartBanner.Line("Baton \(Baton.version) is running.")]
            for endpoint in configuration.endpoints {
                if endpoint.webchat.enabled {
                    lines.append(.init("Webchat", endpoint: (endpoint.id, endpoint.name), url: "\(base)/webchat/\(endpoint.urlToken)"))
                }
                if endpoint.rest.enabled {
                    lines.append(.init("REST API", endpoint: (endpoint.id, endpoint.name), url: "\(base)/api/v1/endpoints/\(endpoint.urlToken)/messages"))
                }
            }
            if let demo {
                lines.append(.init("Agent console (Chatwoot stand-in)", url: demo.consoleURL))
                lines.append(.init("WhatsApp, answered by the bot: in the console, \"+ Test conversation\" in \"Acme WhatsApp\""))
            }
            lines.append(.init("Data", detail: configuration.storage.summary))
            banner.show(lines)
        }
        do {
            try await ServiceGroup(configuration: Self.serviceGroup(app, goodbye: dependencies.webchatGoodbye, logger: logger)).run()
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            await demo?.shutdown()
            await demoModel?.shutdown()
            throw PortInUse(host: configuration.server.host, port: configuration.server.port)
        }
        await demo?.shutdown()
        await demoModel?.shutdown()
    }
}

/// `baton serve` could not listen because another program holds its address; said for a person, where NIO's own
/// error names the system call.
struct PortInUse: Error, CustomStringConvertible {
    let host: String
    let port: Int

    var description: String {
        "cannot listen on \(host):\(port): another program is using that port. Stop it, or choose another port with server.port in the config or BATON_SERVER_PORT."
    }
}

extension Serve {
    /// How long SIGTERM waits for the work in hand before what is left is cancelled: a request or outbox job waiting
    /// on a database that went away would otherwise hold the process for good (PostgreSQL's pool waits for a
    /// connection as long as it takes). An outbox job cut short runs again once its lease ends.
    static let gracefulShutdown = Duration.seconds(8)

    /// Runs `app` until SIGTERM or SIGINT, then stops it within `gracefulShutdown` (and 2 s more to cancel). The
    /// webchat's goodbye comes after the app, so it is stopped first (services stop in reverse order): the sockets
    /// hear 1001 before the HTTP server stops.
    static func serviceGroup(_ app: some Service, goodbye: WebchatGoodbye, logger: Logger) -> ServiceGroupConfiguration {
        var configuration = ServiceGroupConfiguration(
            services: [.init(service: app), .init(service: goodbye, successTerminationBehavior: .ignore)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        configuration.maximumGracefulShutdownDuration = gracefulShutdown
        configuration.maximumCancellationDuration = .seconds(2)
        return configuration
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate the config file and every flow it names; print each problem as file:line and exit non-zero on errors.")

    @OptionGroup var options: ConfigOptions

    @Argument(help: "Flow files to check on their own (without a config).")
    var flows: [String] = []

    func run() throws {
        var failed = false
        if flows.isEmpty {
            do {
                let (configuration, warnings) = try Self.load(options.path())
                warnings.forEach { print($0) }
                let nodes = configuration.endpoints.map(\.flow.nodes.count).reduce(0, +)
                print("ok: \(configuration.endpoints.count) endpoint(s), \(nodes) flow node(s)")
            } catch {
                failed = true
            }
        }
        for flow in flows {
            do {
                let (parsed, warnings) = try FlowLoader().load(path: flow)
                warnings.forEach { print($0) }
                print("ok: \(flow): \(parsed.nodes.count) node(s)")
            } catch {
                error.diagnostics.forEach { print($0) }
                failed = true
            }
        }
        if failed { throw ExitCode.failure }
    }

    /// Loads a config, printing its diagnostics to standard error when it cannot be used.
    static func load(_ path: String, loader: ConfigLoader = ConfigLoader()) throws -> (BatonConfiguration, [Diagnostic]) {
        do {
            return try loader.load(path: path)
        } catch {
            for diagnostic in error.diagnostics { print(diagnostic) }
            throw ExitCode.failure
        }
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply the configured store's schema migrations (SQLite or PostgreSQL) and exit.",
        discussion: "`serve` migrates on start too; run this first to migrate once, before starting several instances of a new version.")

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let configuration = try options.loadForStore()
        let logger = Logger.baton(configuration.log)
        do {
            try await AppDependencies.live(configuration, logger: logger).migrateStore()
        } catch {
            // The location, never the URL: it may hold a password. PostgresNIO's errors say what went wrong only
            // when reflected (their description is a fixed text, so that they cannot leak into API answers).
            print("error: cannot migrate \(configuration.storage.location): \(String(reflecting: error))")
            throw ExitCode.failure
        }
        print("ok: \(configuration.storage.location) is up to date")
    }
}

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print Baton's version.")
    func run() { print(Baton.version) }
}
