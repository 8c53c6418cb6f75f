/// What the agents left on the desk's conversation when they resolved it: its labels and its custom attributes,
/// Baton's own (`baton_…`) left out. A team says there how a conversation ended (a label `refund-approved`, an
/// attribute `ticket: 4711`), and the bot follows up on it: the flow reads them after the handover
/// (`input.handover.labels`, `input.handover.attributes`) and an outside bot gets them with `handover.resolved`.
public struct ResolutionDetails: Codable, Sendable, Hashable {
    /// The conversation's labels, as the desk lists them.
    public var labels: [String]
    /// The conversation's custom attributes: an object.
    public var attributes: JSONValue

    /// The details of a conversation with these labels and custom attributes (anything but an object counts as none).
    public init(labels: [String], attributes: JSONValue) {
        self.labels = labels
        if case .object(let members) = attributes {
            self.attributes = .object(members.filter { !$0.key.hasPrefix("baton_") })
        } else {
            self.attributes = .object([:])
        }
    }
}
