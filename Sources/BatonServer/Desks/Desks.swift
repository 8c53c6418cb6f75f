public import BatonCore

/// Each endpoint's desk: where its handovers go. An endpoint without one gets `UnsupportedDesk`, so its
/// handovers fail visibly instead of waiting forever.
public struct Desks: Sendable {
    private let byEndpoint: @Sendable (Endpoint) -> (any Desk)?

    /// Desks by endpoint id.
    public init(_ desks: [String: any Desk]) {
        byEndpoint = { desks[$0.id] }
    }

    /// The desk `choose` gives each endpoint (tests put a fake desk behind every endpoint).
    public init(_ choose: @escaping @Sendable (Endpoint) -> any Desk) {
        byEndpoint = choose
    }

    /// The endpoint's desk.
    public func desk(for endpoint: Endpoint) -> any Desk {
        byEndpoint(endpoint) ?? UnsupportedDesk()
    }
}
