import BatonCore
import Logging

/// A handover node's routing, checked against Chatwoot and then applied to the conversation.
///
/// Chatwoot takes unknown ids without a word: an unknown team clears the conversation's team, an unknown assignee
/// unassigns it (`conversations/assignments_controller.rb`). So every id is looked up before anything is opened,
/// and one that is not there fails the handover with `invalid_routing` rather than landing in no team. Calls go
/// with the administrator's token: Chatwoot answers 500 when a bot token reads a conversation that has a team.
struct ChatwootRouting: Sendable {
    let team: Int?
    let assignee: Int?
    let priority: String?
    let labels: [String]
    let attributes: [String: JSONValue]

    /// Checks the routing's values and ids. Throws a `ChatwootError` when Chatwoot cannot be asked now.
    /// - Returns: the checked routing, or why it is invalid.
    static func check(_ routing: HandoverRouting?, client: ChatwootClient) async throws -> Result<ChatwootRouting, RoutingProblem> {
        guard let routing else { return .success(ChatwootRouting(team: nil, assignee: nil, priority: nil, labels: [], attributes: [:])) }
        let team = id(routing.team, "team")
        let assignee = id(routing.assignee, "assignee")
        var priority: String?
        if let value = routing.priority {
            guard case .string(let text) = value, ["low", "medium", "high", "urgent"].contains(text.lowercased()) else {
                return .failure(RoutingProblem("priority '\(value.displayText)' is not low, medium, high or urgent"))
            }
            priority = text.lowercased()
        }
        // Chatwoot keeps attribute strings up to 1,500 characters and refuses nested values.
        for (name, value) in routing.attributes {
            switch value {
            case .string(let text) where text.count > 1_500: return .failure(RoutingProblem("attribute '\(name)' is longer than 1,500 characters"))
            case .array, .object: return .failure(RoutingProblem("attribute '\(name)' must be a text, a number or true/false"))
            default: continue
            }
        }
        switch (team, assignee) {
        case (.failure(let problem), _), (_, .failure(let problem)): return .failure(problem)
        case (.success(let team), .success(let assignee)):
            if let team {
                do {
                    _ = try await client.team(id: team)
                } catch let error as ChatwootError where error.kind == .notFound {
                    return .failure(RoutingProblem("team \(team) does not exist in account \(client.accountID)"))
                }
            }
            if let assignee, try await !client.agents().contains(where: { $0.id == assignee }) {
                return .failure(RoutingProblem("agent \(assignee) is not an agent of account \(client.accountID)"))
            }
            return .success(ChatwootRouting(team: team, assignee: assignee, priority: priority, labels: routing.labels, attributes: routing.attributes))
        }
    }

    /// A positive whole number, from a number or a numeric text.
    static func id(_ value: JSONValue?, _ what: String) -> Result<Int?, RoutingProblem> {
        guard let value else { return .success(nil) }
        switch value {
        case .number(let number) where number == number.rounded() && number > 0 && number < 1e15: return .success(Int(number))
        case .string(let text) where Int(text).map { $0 > 0 } == true: return .success(Int(text))
        default: return .failure(RoutingProblem("\(what) '\(value.displayText)' is not an id"))
        }
    }

    /// Applies the routing: the team before the assignee (a team change drops an assignee who is not in it), then
    /// the priority, the labels added to the conversation's own, the attributes merged into `current`.
    func apply(to conversationID: Int, client: ChatwootClient, currentAttributes: [String: JSONValue]?) async throws {
        if let team { try await client.assign(conversationID: conversationID, teamID: team) }
        if let assignee { try await client.assign(conversationID: conversationID, agentID: assignee) }
        if let priority { try await client.setPriority(conversationID: conversationID, priority) }
        if !labels.isEmpty {
            let current = try await client.labels(conversationID: conversationID)
            try await client.setLabels(conversationID: conversationID, labels: current + labels.filter { !current.contains($0) })
        }
        if !attributes.isEmpty, let currentAttributes {
            try await client.setCustomAttributes(conversationID: conversationID, currentAttributes.merging(attributes) { _, new in new })
        }
    }
}

/// Why a handover's routing cannot be applied.
struct RoutingProblem: Error, Sendable {
    let detail: String
    init(_ detail: String) { self.detail = detail }

    /// The desk's answer: handover `number` fails with `invalid_routing`, logged for the operator.
    func report(handover number: Int, session: Session, logger: Logger) -> JobOutcome {
        logger.warning("the handover's routing is invalid", metadata: ["session": "\(session.id)", "problem": "\(detail)"])
        return .reported(.failedToOpen(number: number, HandoverOutcome(status: .error, reason: .invalidRouting, detail: detail)))
    }
}
