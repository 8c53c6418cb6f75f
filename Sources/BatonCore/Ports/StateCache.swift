import Synchronization

/// Session states already decoded, each under the exact text it was decoded from or encoded to: a store's, for the
/// state it reads back from its session rows.
///
/// Every turn reads its session's state, and decoding it was the largest single cost of relaying an agent's reply. A
/// hit needs the stored text to be equal to the remembered one, so the cache can never hand out a stale state:
/// whoever changed the row (a rolled-back transaction, another connection, another instance) changed its text too.
public final class StateCache: Sendable {
    /// A class, so the table holds a reference per session: the dictionary's storage, sized for its capacity and
    /// kept when it starts over, held a whole state in every bucket (heaptrack: 5 MB once it had filled, when a
    /// `ConversationState` was 576 bytes inline; 120 now, its handover out of line).
    private final class Entry: Sendable {
        let text: String
        let state: ConversationState

        init(text: String, state: ConversationState) {
            self.text = text
            self.state = state
        }
    }

    /// Enough for every session that is busy at once; beyond it the cache starts over rather than tracking use.
    static let capacity = 4_096

    private let entries = Mutex<[SessionID: Entry]>([:])

    public init() {}

    /// The state stored as `text`, decoded only when it is not the text remembered for the session.
    public func state(for id: SessionID, text: String) throws -> ConversationState {
        if let entry = entries.withLock({ $0[id] }), entry.text == text { return entry.state }
        let state = try ConversationState(storageText: text)
        remember(state, text: text, for: id)
        return state
    }

    /// Forgets deleted sessions' states.
    public func forget(_ ids: some Sequence<SessionID>) {
        entries.withLock { entries in
            for id in ids { entries[id] = nil }
        }
    }

    /// Remembers that `text` is `state`.
    public func remember(_ state: ConversationState, text: String, for id: SessionID) {
        entries.withLock { entries in
            if entries.count >= Self.capacity, entries[id] == nil { entries.removeAll(keepingCapacity: true) }
            entries[id] = Entry(text: text, state: state)
        }
    }
}
