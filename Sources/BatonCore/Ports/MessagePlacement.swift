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

/// One write a store makes for an update's messages, in order.
public enum PlacedWrite: Sendable, Hashable {
    /// Store this message.
    case insert(Message)
    /// Retract `original` (marking it moved to `copy.id`, its external id going with it), then store `copy`.
    case move(original: Message, copy: Message)
}

extension MessagePlacement {
    /// The writes that store `drafts` after message `lastMessageID`, in order, and the id of the newest message
    /// once they are made. The store reads, before writing anything, the live stored messages after each draft's
    /// `externalOrder` (`later`, by order, oldest id first); messages placed earlier in the same update count too.
    public static func plan(
        _ drafts: [MessageDraft], in sessionID: SessionID, after lastMessageID: Int64, later stored: [Int64: [Message]]
    ) -> (writes: [PlacedWrite], lastMessageID: Int64) {
        var placement = MessagePlacement(after: lastMessageID)
        var writes: [PlacedWrite] = []
        // What this update placed that is still live, and the stored messages it moved (no longer live).
        var placedLive: [Message] = []
        var moved: Set<Int64> = []
        for draft in drafts {
            var later: [Message] = []
            if let order = draft.externalOrder {
                later = (stored[order] ?? []).filter { !moved.contains($0.id) } + placedLive.filter { ($0.externalOrder ?? .min) > order }
                later.sort { $0.id < $1.id }
            }
            let placed = placement.place(draft, in: sessionID, later: later)
            writes.append(.insert(placed.message))
            placedLive.append(placed.message)
            for (original, copy) in placed.moves {
                writes.append(.move(original: original, copy: copy))
                moved.insert(original.id)
                placedLive.removeAll { $0.id == original.id }
                placedLive.append(copy)
            }
        }
        return (writes, placement.lastMessageID)
    }
}

extension PlacedWrite {
    /// Whether this write moves a message already placed.
    public var isMove: Bool {
        if case .move = self { true } else { false }
    }

    /// The message this write stores.
    public var stored: Message {
        switch self {
        case .insert(let message), .move(_, let message): message
        }
    }
}
