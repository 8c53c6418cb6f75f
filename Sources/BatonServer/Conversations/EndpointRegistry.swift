public import BatonConfig
public import BatonCore
import Synchronization

/// An endpoint ready to serve: its settings and its bot (the endpoint's flow).
public struct Endpoint: Sendable {
    /// The endpoint's settings as Baton started with them. Its flow, its handover policy and its webchat's look and
    /// words are read from ``bot``, ``policy`` and ``webchat``, which a reload may have replaced since.
    public let configuration: EndpointConfiguration
    /// Shared by every copy of this endpoint (the channels keep theirs from the start), so a reload reaches them all.
    let script: EndpointScript

    public init(configuration: EndpointConfiguration) {
        self.configuration = configuration
        self.script = EndpointScript(flow: configuration.flow, policy: configuration.handoverPolicy, webchat: configuration.webchat)
    }

    /// The endpoint's flow as it stands now.
    public var bot: any Bot { script.current.bot }

    /// The endpoint's notices and handover timer defaults, as they stand now.
    public var policy: HandoverPolicy { script.current.policy }

    /// The webchat's settings as they stand now: its look and words (`subtitle`, `branding`, `userCanDelete`,
    /// `texts`) as the config was last read; whether it is on and its identity secret as Baton started.
    public var webchat: WebchatSettings { script.current.webchat }

    /// Puts in place what a reload of the config replaces (see ``EndpointScript``); returns whether any of it changed.
    func reload(_ new: EndpointConfiguration) -> Bool {
        var webchat = new.webchat
        // The page's routes and its users' identities stay as they started.
        (webchat.enabled, webchat.identitySecret) = (configuration.webchat.enabled, configuration.webchat.identitySecret)
        return script.replace(flow: new.flow, policy: new.handoverPolicy, webchat: webchat)
    }

    public var id: String { configuration.id }
}

/// What a reload of the config replaces while Baton runs (see `ConfigurationReload`): the endpoint's flow, the words
/// and timers of its notices (`language`, `notices`, `handoverDefaults`) and the webchat's look and words (its
/// `subtitle`, `branding`, `userCanDelete` and `texts`, which a page gets with its `ready` and the widget with
/// `widget.js`). A step reads flow and policy once, so it runs on one version whole; everything else an endpoint has
/// is built from its settings at start.
final class EndpointScript: Sendable {
    struct Version {
        var flow: Flow
        /// Made once per version: a step takes it as it is, with no engine to make.
        var bot: any Bot
        var policy: HandoverPolicy
        var webchat: WebchatSettings
    }

    private let state: Mutex<Version>

    init(flow: Flow, policy: HandoverPolicy, webchat: WebchatSettings) {
        state = Mutex(Version(flow: flow, bot: FlowEngine(flow: flow), policy: policy, webchat: webchat))
    }

    var current: Version { state.withLock { $0 } }

    /// Puts the new version in place; returns whether it differs from what ran.
    func replace(flow: Flow, policy: HandoverPolicy, webchat: WebchatSettings) -> Bool {
        state.withLock { state in
            guard state.flow != flow || state.policy != policy || state.webchat != webchat else { return false }
            state = Version(flow: flow, bot: FlowEngine(flow: flow), policy: policy, webchat: webchat)
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
