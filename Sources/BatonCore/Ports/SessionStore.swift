import Foundation

/// One change to a session, made inside the store's transaction: the state can be read and replaced, and
/// messages appended. The store gives the appended messages their ids when it commits.
public struct SessionUpdate: Sendable {
    /// The session as it was when the transaction began (its state is `state` below).
    public let session: Session
    /// The conversation state; replace it to persist a new one.
    public var state: ConversationState
    /// Messages to append, in order.
    public private(set) var drafts: [MessageDraft] = []

    public init(session: Session) {
        self.session = session
        self.state = session.state
    }

    /// Appends a message to the transcript.
    public mutating func append(_ draft: MessageDraft) { drafts.append(draft) }
}

/// Errors every store reports the same way, so callers can tell them apart whatever the engine.
public enum SessionStoreError: Error, Equatable, Sendable {
    /// No session has this id.
    case sessionNotFound(SessionID)
    /// A message with this client message id already exists in the session (the client re-sent it).
    case duplicateClientMessage(SessionID, String)
    /// A message with this external id (a provider's message id) already exists in the session.
    case duplicateExternalMessage(SessionID, String)
}

/// Where sessions and their transcripts live. Every method is one transaction of its own, so an implementation
/// never exposes a half-applied turn; the contract test suite in `BatonStoreTests` pins the behaviour down for
/// every implementation.
public protocol SessionStore: Sendable {
    /// Creates or upgrades the schema. Safe to call on every start.
    func migrate() async throws

    /// Succeeds when the store can serve requests (used by `/readyz`).
    func ping() async throws

    /// The session of `userID` on `endpointID`, created with `makeID()` and `initialState` if there is none.
    /// Two concurrent calls for the same user get the same session.
    func findOrCreateSession(
        endpointID: String, userID: String, channel: Channel, initialState: ConversationState, now: Date,
        makeID: @Sendable () -> SessionID
    ) async throws -> (session: Session, created: Bool)

    /// The session with this id, or `nil`.
    func session(id: SessionID) async throws -> Session?

    /// Runs `body` on the session inside one transaction: concurrent updates of one session run one after the
    /// other, and the state and every appended message are saved together or not at all.
    /// - Returns: what `body` returned and the messages it appended, with their ids.
    /// - Throws: `SessionStoreError.sessionNotFound`, `.duplicateClientMessage` (nothing is saved then),
    ///   or what `body` throws (nothing is saved then either).
    func update<T: Sendable>(
        sessionID: SessionID, now: Date, _ body: @Sendable (inout SessionUpdate) throws -> T
    ) async throws -> (result: T, messages: [Message])

    /// Messages of the session with an id greater than `after`, oldest first, at most `limit`.
    func messages(sessionID: SessionID, after: Int64, limit: Int) async throws -> [Message]

    /// The message the client sent with `clientMessageID`, if it was stored.
    func message(sessionID: SessionID, clientMessageID: String) async throws -> Message?

    /// Marks the message with `externalID` as retracted (its author deleted it).
    /// - Returns: the message, or `nil` when there is none or it was retracted before.
    func retract(sessionID: SessionID, externalID: String) async throws -> Message?

    /// Remembers that the provider conversation `key` of `endpointID` belongs to `sessionID`.
    func link(endpointID: String, conversationKey: String, to sessionID: SessionID) async throws

    /// The session a provider conversation belongs to.
    func sessionID(endpointID: String, conversationKey: String) async throws -> SessionID?

    /// A small value the server keeps across restarts (e.g. the id of the Chatwoot agent bot it created).
    func setting(_ key: String) async throws -> String?

    /// Stores or, with `nil`, removes a setting.
    func setSetting(_ key: String, to value: String?) async throws
}
