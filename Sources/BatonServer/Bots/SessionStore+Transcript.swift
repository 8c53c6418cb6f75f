import BatonCore

extension SessionStore {
    /// What a bot is shown for a turn: the session's `last` newest messages, oldest first, without withdrawn ones
    /// and without the user's messages after `upTo` (the turn's own; later ones are later turns'), but with everything
    /// else stored since, the bot's answers to earlier turns included. The turn's own message comes last: a user who
    /// wrote while the bot answered the turn before sees that answer before their words, and so does the bot.
    func transcript(of session: Session, upTo: Int64, last: Int) async throws -> [Message] {
        // Withdrawn and moved messages take ids too: read twice as many and keep the newest that count.
        let start = max(0, session.lastMessageID - Int64(last) * 2 - 1)
        let page = try await messages(sessionID: session.id, after: start, limit: last * 2 + 2)
        var kept = Array(page.filter { !$0.retracted && !($0.sender == .user && $0.id > upTo) }.suffix(last))
        if let own = kept.lastIndex(where: { $0.id == upTo && $0.sender == .user }) { kept.append(kept.remove(at: own)) }
        return kept
    }
}
