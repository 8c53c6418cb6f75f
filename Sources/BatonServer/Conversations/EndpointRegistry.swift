public import BatonConfig
public import BatonCore
import Synchronization

/// An endpoint ready to serve: its settings and its bot (the endpoint's flow).
public struct Endpoint: Sendable {
    /// The endpoint's settings as Baton started with them. Its flow and its handover policy are read from
    /// ``bot`` and ``policy``, which a reload may have replaced since.
    public let configuration: EndpointConfiguration
    /// Shared by every copy of this endpoint (the channels keep theirs from the start), so a reload reaches them all.
    let script: EndpointScript

    public init(configuration: EndpointConfiguration) {
        self.configuration = configuration
        self.script = EndpointScript(flow: configuration.flow, policy: configuration.handoverPolicy)
    }

    /// The endpoint's flow as it stands now.
    public var bot: any Bot { script.current.bot }

    /// The endpoint's notices and handover timer defaults, as they stand now.
    public var policy: HandoverPolicy { script.current.policy }

    public var id: String { configuration.id }
}

/// What a reload of the config replaces while Baton runs (see `ConfigurationReload`): the endpoint's flow, and the words
/// and timers of its notices (`language`, `notices`, `handoverDefaults`). A step reads both once, so it runs on one
/// version whole; everything else an endpoint has is built from its settings at start.
final class EndpointScript: Sendable {
    /// The bot is made once per version: a step takes it as it is, with no engine to make.
    private let state: Mutex<(flow: Flow, bot: any Bot, policy: HandoverPolicy)>

    init(flow: Flow, policy: HandoverPolicy) {
        state = Mutex((flow, FlowEngine(flow: flow), policy))
    }

    var current: (flow: Flow, bot: any Bot, policy: HandoverPolicy) { state.withLock { $0 } }

    /// Puts `flow` and `policy` in place; returns whether either differs from what ran.
    func replace(flow: Flow, policy: HandoverPolicy) -> Bool {
        state.withLock { state in
            guard state.flow != flow || state.policy != policy else { return false }
            state = (flow, FlowEngine(flow: flow), policy)
            return true
        }
    }
}

/// The configured endpoints, found by id or by public URL token.
public struct EndpointRegistry: Sendable {
    public let endpoints: [Endpoint]
    let byToken: [String: Endpoint]
    let byID: [String: Endpoint]

    public init(_ configurations: [EndpointConfiguration]) {
        endpoints = configurations.map(Endpoint.init)
        byToken = Dictionary(endpoints.map { ($0.configuration.urlToken, $0) }, uniquingKeysWith: { first, _ in first })
        byID = Dictionary(endpoints.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public func endpoint(urlToken: String) -> Endpoint? { byToken[urlToken] }
    public func endpoint(id: String) -> Endpoint? { byID[id] }
}
