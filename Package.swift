// swift-tools-version:6.2
import PackageDescription
#if canImport(Glibc)
import Glibc
#endif

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    // Each function in a section of its own, so that the release link can order them (`serverLinkerSettings`).
    .unsafeFlags(["-Xfrontend", "-function-sections"], .when(platforms: [.linux], configuration: .release)),
]

/// How the server's release build is linked on Linux, for a smaller resident size (BENCHMARKS.md, 4 December, evening):
/// - with lld (it ships with every Swift toolchain for Linux), which packs the relative relocations (`DT_RELR`) where
///   the C library can load them (glibc 2.36 and later). With `--static-swift-stdlib`, as the container image is
///   built, gold's binary carries 3.9 MB of relocations that the loader reads at every start; packed, 33 KB.
/// - without exporting every symbol of Baton and its packages to the dynamic loader (the toolchain's static-stdlib
///   options ask for it): the loader's symbol lookups searched that 3.8 MB table first. Nothing looks Baton's
///   symbols up at run time; a crash's backtrace (`swift-backtrace`) names functions from the symbol table, which stays.
/// - with the functions a start and a first webchat user run side by side (`Sources/baton/startup.order`, written by
///   `scripts/startup-order`). A page of code is resident once anything on it, or near it, ran: a start runs 3 MB of
///   functions, and spread over the binary's 38 MB of code they left 23–25 MB of it resident in every idle process
///   (and the sockets' code came in with the first sockets). The link can move a function only where it was compiled
///   into a section of its own: the Swift runtime's and Foundation's come so, Baton's own modules are compiled so
///   (`swiftSettings`); the packages' stay where their modules put them (flags in this manifest reach only its own
///   targets). A name the file lists that a build lacks is skipped.
/// Debug builds keep the toolchain's defaults.
let serverLinkerSettings: [LinkerSetting] = {
    var flags = ["-use-ld=lld", "-Xlinker", "--no-export-dynamic"]
    flags += ["-Xlinker", "--symbol-ordering-file=\(Context.packageDirectory)/Sources/baton/startup.order", "-Xlinker", "--no-warn-symbol-ordering"]
    if glibcLoadsPackedRelocations { flags += ["-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"] }
    return [.unsafeFlags(flags, .when(platforms: [.linux], configuration: .release))]
}()

/// Whether this machine's glibc is 2.36 or later, the first to load `DT_RELR` (a binary packed so refuses to start on
/// an older one, so it is packed only where it is built for such a system).
var glibcLoadsPackedRelocations: Bool {
    #if canImport(Glibc)
    // "glibc 2.36"
    var buffer = [CChar](repeating: 0, count: 64)
    guard confstr(Int32(_CS_GNU_LIBC_VERSION), &buffer, buffer.count) > 0 else { return false }
    let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    let version = text.split(separator: " ").last?.split(separator: ".").compactMap { Int($0) } ?? []
    return version.count >= 2 && (version[0], version[1]) >= (2, 36)
    #else
    return false
    #endif
}

let package = Package(
    name: "Baton",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "baton", targets: ["baton"]),
        .library(name: "BatonCore", targets: ["BatonCore"]),
        .library(name: "BatonServer", targets: ["BatonServer"]),
        .library(name: "ChatwootStandIn", targets: ["ChatwootStandIn"]),
        .executable(name: "chatwoot-standin", targets: ["chatwoot-standin"]),
        .library(name: "BotStandIn", targets: ["BotStandIn"]),
        .executable(name: "bot-standin", targets: ["bot-standin"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.3.0"),
        // OTLP over HTTP only: the gRPC exporter's dependencies would add minutes to every clean build.
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0", traits: ["OTLPHTTP"]),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
    ],
    targets: [
        // Pure domain: flow engine, expressions, session model, store port. No I/O, no dependencies.
        .target(name: "BatonCore", swiftSettings: swiftSettings),
        // YAML config and flow files → validated core types, with file:line diagnostics.
        .target(
            name: "BatonConfig",
            dependencies: ["BatonCore", .product(name: "Yams", package: "Yams")],
            resources: [.copy("Resources/demo")],
            swiftSettings: swiftSettings
        ),
        // The embedded default store: SQLite in WAL mode through GRDB.
        .target(
            name: "BatonStoreSQLite",
            dependencies: ["BatonCore", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        // The store for several instances: PostgreSQL through PostgresNIO's pooled `PostgresClient`.
        .target(
            name: "BatonStorePostgres",
            dependencies: [
                "BatonCore", "BatonConfig",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Everything that talks to the world: the channels (webchat, REST), the desks (Chatwoot: API client, webhooks),
        // the write path every event takes, the outbox worker, operations, and the one composition root (App/).
        .target(
            name: "BatonServer",
            dependencies: [
                "BatonCore", "BatonConfig", "BatonStoreSQLite", "BatonStorePostgres",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "OTel", package: "swift-otel"),
                .product(name: "Crypto", package: "swift-crypto"),
                // gzip for the webchat's files (zlib; the package comes with hummingbird-websocket's dependencies).
                .product(name: "CompressNIO", package: "compress-nio"),
            ],
            resources: [.copy("Resources/webchat"), .copy("Resources/admin")],
            swiftSettings: swiftSettings
        ),
        // The stand-ins' JSON: values that keep their keys' order, a strict parser, the servers' writers.
        .target(name: "StandInJSON", swiftSettings: swiftSettings),
        // Child processes started with posix_spawn (the tests' and the benchmark's servers).
        .target(name: "ProcessSpawning", swiftSettings: swiftSettings),
        // A faithful Chatwoot v4.15 stand-in for tests and local use (never used by Baton itself).
        .target(
            name: "ChatwootStandIn",
            dependencies: [
                "StandInJSON",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ],
            resources: [.copy("Resources")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "chatwoot-standin",
            dependencies: ["ChatwootStandIn", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings
        ),
        // Stand-ins for the bots Baton talks to: an OpenAI-compatible chat-completions server (OpenAI, Ollama and
        // Azure flavours) and a Rasa REST-channel bot, for tests and local use (Baton itself uses them only in the demo).
        .target(
            name: "BotStandIn",
            dependencies: [
                "StandInJSON",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "bot-standin",
            dependencies: ["BotStandIn", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "baton",
            dependencies: [
                "BatonServer", "BatonConfig", "BatonStoreSQLite", "ChatwootStandIn", "BotStandIn",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            exclude: ["startup.order"],
            swiftSettings: swiftSettings,
            linkerSettings: serverLinkerSettings
        ),
        // scripts/bench: Baton's speed and memory measured against a bare Hummingbird route, on loopback.
        .executableTarget(
            name: "baton-bench",
            dependencies: [
                "ChatwootStandIn", "BotStandIn", "ProcessSpawning",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // What several test targets share (a seeded generator for the fuzz tests).
        .target(name: "BatonTestSupport", path: "Tests/BatonTestSupport", swiftSettings: swiftSettings),
        .testTarget(name: "BatonCoreTests", dependencies: ["BatonCore", "BatonTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "BatonConfigTests", dependencies: ["BatonConfig"], swiftSettings: swiftSettings),
        .testTarget(
            name: "BatonStoreTests",
            dependencies: [
                "BatonStoreSQLite", "BatonStorePostgres", "BatonTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BatonFanOutTests",
            dependencies: [
                "BatonServer", "BatonStorePostgres", "BatonConfig", "BatonCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdWSTesting", package: "hummingbird-websocket"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "BatonChatwootTests", dependencies: ["BatonServer", "BatonCore", "BatonTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "ChatwootStandInTests",
            dependencies: [
                "ChatwootStandIn",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BotStandInTests",
            dependencies: [
                "BotStandIn", "StandInJSON",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BatonServerTests",
            dependencies: [
                "BatonServer", "ChatwootStandIn", "BotStandIn", "StandInJSON", "BatonTestSupport", "ProcessSpawning",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdWSTesting", package: "hummingbird-websocket"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "CompressNIO", package: "compress-nio"),
                // The multi-instance tests make a database of their own for each test.
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
