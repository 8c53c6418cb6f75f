public import BatonConfig
public import BatonCore

/// An endpoint ready to serve: its settings and its bot (the endpoint's flow).
public struct Endpoint: Sendable {
    public let configuration: EndpointConfiguration
    public let bot: any Bot

    public init(configuration: EndpointConfiguration) {
        self.configuration = configuration
        self.bot = FlowEngine(flow: configuration.flow)
    }

    /// The endpoint's notices and handover timer defaults.
    public var policy: HandoverPolicy { configuration.handoverPolicy }

    public var id: String { configuration.id }
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
