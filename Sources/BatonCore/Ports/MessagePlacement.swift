/// Where an update's new messages go: each gets the session's next id, and a draft placed by the provider's order
/// (an agent reply whose webhook came after later ones) moves the live messages that belong after it down behind
/// it: each is retracted with `movedTo` and stored again as a copy with `movedFrom`. Every store writes what this
/// decides, so they number and move alike.
public struct MessagePlacement: Sendable {
    /// The highest id given so far: the session's `lastMessageID` once everything is written.
    public private(set) var lastMessageID: Int64

    public init(after lastMessageID: Int64) { self.lastMessageID = lastMessageID }

    /// What `draft` writes.
    /// - Parameter later: the session's live messages whose provider order is after the draft's, by id (the store
    ///   reads them only for a draft with an `externalOrder`).
    public mutating func place(_ draft: MessageDraft, in sessionID: SessionID, later: [Message]) -> (message: Message, moves: [(original: Message, copy: Message)]) {
        lastMessageID += 1
        let message = Message(id: lastMessageID, sessionID: sessionID, draft: draft)
        var moves: [(original: Message, copy: Message)] = []
        for original in later {
            lastMessageID += 1
            moves.append((original, Message(id: lastMessageID, sessionID: sessionID, draft: original.draft, movedFrom: original.id)))
        }
        return (message, moves)
    }
}
