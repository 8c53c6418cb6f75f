import BotStandIn
import StandInJSON

/// Rasa answers the bot tests script, built here, apart from BatonCore's own `JSONValue`.
enum RasaReplies {
    /// A custom payload with Baton's actions: a note for the agents, then a handover with its reason, summary and team.
    static func handover(note: String, reason: String, summary: String, team: Int) -> RasaMessage {
        .custom(["note": .string(note), "handover": ["reason": .string(reason), "summary": .string(summary), "team": .int(Int64(team))]])
    }
}
