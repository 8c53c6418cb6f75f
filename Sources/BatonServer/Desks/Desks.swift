public import BatonCore

/// Each endpoint's desk: where its handovers go. An endpoint without one gets `UnsupportedDesk`, so its
/// handovers fail visibly instead of waiting forever. Sessions of a channel that is a desk conversation already
/// (a Chatwoot inbox) hand over in that conversation, with the channel's own desk.
public struct Desks: Sendable {
    private let byEndpoint: @Sendable (Endpoint) -> (any Desk)?
    private let inChannel: [String: any Desk]

    /// Desks by endpoint id, and the desks of the endpoints' Chatwoot channels.
    public init(_ desks: [String: any Desk], channelDesks: [String: any Desk] = [:]) {
        byEndpoint = { desks[$0.id] }
        inChannel = channelDesks
    }

    /// The desk `choose` gives each endpoint (tests put a fake desk behind every endpoint).
    public init(_ choose: @escaping @Sendable (Endpoint) -> any Desk) {
        byEndpoint = choose
        inChannel = [:]
    }

    /// The desk of a session of the endpoint.
    public func desk(for endpoint: Endpoint, channel: Channel) -> any Desk {
        let desk = channel.transcriptIsInDesk ? inChannel[endpoint.id] : byEndpoint(endpoint)
        return desk ?? UnsupportedDesk()
    }
}

/// The channels Baton posts to (a Chatwoot inbox), by endpoint id: where the outbox's `reply` jobs go.
public struct ReplyChannels: Sendable {
    private let byEndpoint: [String: any ReplyChannel]

    public init(_ channels: [String: any ReplyChannel] = [:]) { byEndpoint = channels }

    func channel(for endpoint: Endpoint) -> (any ReplyChannel)? { byEndpoint[endpoint.id] }
}
