public import BatonConfig
import Instrumentation
public import Logging
import OTel
public import ServiceLifecycle
import ServiceContextModule
import Synchronization
import Tracing

/// OpenTelemetry traces (`tracing.enabled`): swift-distributed-tracing, with swift-otel exporting spans over
/// OTLP/HTTP. Hummingbird's tracing middleware makes a span of each request (continuing a caller's `traceparent`),
/// Baton adds its own steps, and AsyncHTTPClient makes a span of each outgoing call and sends `traceparent` along.
public enum BatonTracing {
    /// Whether ``bootstrap(_:logger:)`` installed a tracer. Read on every traced step instead of asking the
    /// instrumentation system, which takes a lock and a dynamic cast per span even when no tracer is set (1.5 % of
    /// a relayed message's processor time, with tracing off).
    private static let enabled = Atomic(false)

    /// Bootstraps tracing for the process (once) and returns the exporter's service, to run with the app; `nil` when
    /// tracing is off. Call it before the first HTTP client is made: AsyncHTTPClient takes the tracer when it is.
    public static func bootstrap(_ settings: TracingSettings, logger: Logger) throws -> (any Service)? {
        guard settings.enabled else { return nil }
        var configuration = OTel.Configuration.default
        configuration.serviceName = settings.serviceName
        // Its own problems (a collector that is down) go to Baton's log, in its format, not to a console of its own.
        configuration.diagnosticLogger = .custom(logger)
        configuration.logs.enabled = false
        configuration.metrics.enabled = false
        configuration.traces.exporter = .otlp
        // An endpoint set here is the signal's own URL, used as it is.
        let base = settings.endpoint.hasSuffix("/") ? String(settings.endpoint.dropLast()) : settings.endpoint
        configuration.traces.otlpExporter.endpoint = base + "/v1/traces"
        configuration.traces.otlpExporter.protocol = settings.encoding == .json ? .httpJSON : .httpProtobuf
        let backend = try OTel.makeTracingBackend(configuration: configuration)
        InstrumentationSystem.bootstrap(backend.factory)
        enabled.store(true, ordering: .releasing)
        return backend.service
    }

    /// `operation` in a span named `operationName` when tracing is on; with it off, `operation` alone (given a
    /// span that records nothing), at no more cost than the call. On means ``bootstrap(_:logger:)`` installed the
    /// tracer: a tracer bootstrapped some other way does not get Baton's steps.
    static func withSpan<T>(
        _ operationName: @autoclosure () -> String, context: @autoclosure () -> ServiceContext = .current ?? .topLevel,
        ofKind kind: SpanKind = .internal, isolation: isolated (any Actor)? = #isolation, _ operation: (any Span) async throws -> T
    ) async rethrows -> T {
        // The name too is made only for a span (the outbox's is built per job).
        guard enabled.load(ordering: .acquiring) else { return try await operation(NoOpTracer.NoOpSpan(context: .topLevel)) }
        return try await Tracing.withSpan(operationName(), context: context(), ofKind: kind, isolation: isolation, operation)
    }

    /// `operation` in a span named `operationName` whose parent is `context`, when tracing is on: for work done for
    /// a caller's trace where its context is not the current one (the store publishing what it stored as it commits,
    /// on its own thread, or in the task of another write: PostgreSQL's group commit). Without a `context`, in none.
    static func withSpan<T>(_ operationName: @autoclosure () -> String, continuing context: ServiceContext?, _ operation: () -> T) -> T {
        guard enabled.load(ordering: .acquiring) else { return operation() }
        guard let context else { return ServiceContext.$current.withValue(nil, operation: operation) }
        return Tracing.withSpan(operationName(), context: context) { _ in operation() }
    }

    /// The current context, for work done for this caller on another thread (``withSpan(_:continuing:_:)``); nil
    /// with tracing off, without reading the task-local (every store write asks).
    static var currentContext: ServiceContext? {
        enabled.load(ordering: .acquiring) ? ServiceContext.current : nil
    }

    /// The current trace as a W3C `traceparent`, for work saved now and done later (the outbox's jobs).
    static func currentTraceparent() -> String? {
        guard enabled.load(ordering: .acquiring), let context = ServiceContext.current else { return nil }
        var carrier: [String: String] = [:]
        InstrumentationSystem.instrument.inject(context, into: &carrier, using: DictionaryInjector())
        return carrier["traceparent"]
    }

    /// The context a saved `traceparent` continues.
    static func context(continuing traceparent: String?) -> ServiceContext {
        var context = ServiceContext.topLevel
        guard let traceparent, enabled.load(ordering: .acquiring) else { return context }
        InstrumentationSystem.instrument.extract(["traceparent": traceparent], into: &context, using: DictionaryExtractor())
        return context
    }
}

private struct DictionaryInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) { carrier[key] = value }
}

private struct DictionaryExtractor: Extractor {
    func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
}
