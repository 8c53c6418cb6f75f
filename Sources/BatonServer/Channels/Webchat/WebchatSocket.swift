import BatonCore
import Foundation
import HummingbirdWebSocket
import BatonConfig
import Logging
import NIOCore
import NIOWebSocket

/// Serves an endpoint's webchat WebSockets: the `hello` handshake, the backlog after the client's last id, live
/// events, and the user's messages.
///
/// One per endpoint, shared by all its sockets: it holds only what serving them needs, no socket's state. It is a
/// class because each socket's forwarder keeps it, and so does every suspended call of a socket's task: as a struct
/// (its endpoint's settings and its dependencies inline, about 1 KB) it was copied into each (heaptrack: 1.2 KB per
/// open socket in the forwarder alone).
final class WebchatSocket: Sendable {
    /// The longest message a user's socket takes, split over several frames or not; a longer one closes the socket
    /// (1009, "message too big").
    static let maxMessageSize = 64 * 1024
    static let backlogPage = 200

    let endpoint: Endpoint
    let conversations: Conversations
    let store: any SessionStore
    let hub: ConversationHub
    let presence: UserPresenceRelay
    let reconciler: Reconciler
    let goodbye: WebchatGoodbye
    let erasure: SessionErasure
    /// Counts the conversations a client starts (`limits.newConversationsPerMinute`).
    let newConversations: NewConversationLimit
    let logger: Logger
    /// Where each socket's forwarder runs: its socket's event loop (see `EventLoopTaskExecutor`).
    let executors = EventLoopTaskExecutors()

    /// What runs a socket's forwarder on `loop`, the socket's event loop (for its `Origin`).
    func executor(for loop: any EventLoop) -> EventLoopTaskExecutor { executors.executor(for: loop) }

    /// Where a socket comes from: the executor of its event loop, where its forwarder runs, and its client (see
    /// `NewConversationLimit`), whose new conversations are counted.
    final class Origin: Sendable {
        let executor: EventLoopTaskExecutor
        let client: IPAddress?

        init(executor: EventLoopTaskExecutor, client: IPAddress?) {
            self.executor = executor
            self.client = client
        }
    }

    init(
        endpoint: Endpoint, conversations: Conversations, store: any SessionStore, hub: ConversationHub, presence: UserPresenceRelay,
        reconciler: Reconciler, goodbye: WebchatGoodbye, erasure: SessionErasure, newConversations: NewConversationLimit, logger: Logger
    ) {
        self.endpoint = endpoint
        self.conversations = conversations
        self.store = store
        self.hub = hub
        self.presence = presence
        self.reconciler = reconciler
        self.goodbye = goodbye
        self.erasure = erasure
        self.newConversations = newConversations
        self.logger = logger
    }

    /// Serves one socket until it closes: reads the user's messages, its `hello` first (see `open`), then the rest,
    /// each handled in a child task (see `inChildTask`), decoding included. Returns how the caller is to close the
    /// socket when Baton ends it: a stopping server says goodbye (see `WebchatGoodbye`; an open socket would hold a
    /// stopping server forever), and frames that make no message close it with the protocol's code; nil when the
    /// browser closed it or it failed. `origin` says where the socket comes from.
    ///
    /// This function waits as long as the socket is open, and what the functions on that wait hold stays in the
    /// socket's task memory all that time: a task keeps each slab of that memory it grew until it ends, and one more
    /// slab is a kilobyte a socket. So the wait holds the frame iterator, what a split message has gathered (see
    /// `WebchatMessageAssembler`), a small `Opened` and the goodbye's ticket, nothing of a message's (with the `hello`
    /// decoded here, its frame was 1.6 KB); and the library's message reading, a second function here and the
    /// closing waits (now the caller's) each took every socket onto one more slab (heaptrack; BENCHMARKS.md).
    func serve(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, origin: Origin) async -> WebSocketErrorCode? {
        guard let ticket = goodbye.enter(outbound) else { return .goingAway }
        var frames = inbound.makeAsyncIterator()
        var messages = WebchatMessageAssembler(maxSize: Self.maxMessageSize)
        var opened: Opened?
        var closing: WebSocketErrorCode?
        do {
            // Reading ends when the browser closes the socket; then the forwarder has nobody to write to.
            while let frame = try await frames.next() {
                let message: WebSocketMessage?
                // Caught here, typed: caught below with the others, the refusal made `serve`'s frame larger.
                do {
                    message = try messages.take(frame)
                } catch {
                    closing = error.code
                    break
                }
                guard let message else { continue }
                let before = opened
                opened = try await Self.inChildTask { [self] in
                    guard let before else { return try await open(with: message, outbound: outbound, executor: origin.executor, client: origin.client) }
                    try await handle(message, opened: before, outbound: outbound)
                    return before
                }
            }
        } catch is CancellationError {
        } catch {
            reportEnd(error)
        }
        opened?.stop(hub)
        goodbye.leave(ticket)
        return closing
    }

    /// Closes a socket Baton ends: with the code `serve` returned, or 1001 "going away" from a stopping server (see
    /// `WebchatGoodbye`), which tells the page to reconnect.
    static func close(_ outbound: WebSocketOutboundWriter, with code: WebSocketErrorCode) async {
        try? await outbound.close(code, reason: code == .goingAway ? "server restarting" : nil)
    }

    /// A plain function: in `serve`, the log line's values took room in a frame that waits for the socket's life.
    func reportEnd(_ error: any Error) {
        logger.warning("webchat socket ended with an error", metadata: ["endpoint": "\(endpoint.id)", "error": "\(String(reflecting: error))"])
    }

    /// A socket past its `hello`: what forwards its session's events to it, and the hub's subscription. Small on
    /// purpose: `serve` holds it across every wait (see there), so the session's id is the forwarder's.
    struct Opened: Sendable {
        var forwarder: LiveForwarder
        var subscription: Int

        var sessionID: SessionID { forwarder.sessionID }

        /// Stops forwarding: the socket is gone.
        func stop(_ hub: ConversationHub) {
            forwarder.close()
            hub.unsubscribe(sessionID, token: subscription)
        }
    }

    /// Opens the socket with its `hello`: finds or opens the session, subscribes and sends `ready`. Any other frame
    /// before it is answered with an error, and `nil` (the socket still waits for its `hello`); so is a `hello` that
    /// would start a conversation `client` may not start yet (`too_many_conversations`: the page tries again).
    func open(with message: WebSocketMessage, outbound: WebSocketOutboundWriter, executor: EventLoopTaskExecutor, client: IPAddress?) async throws -> Opened? {
        let hello: (session: String?, after: Int64, handoverUpdates: Bool, user: WebchatUser?, language: String?)
        switch decode(message) {
        case .hello(let session, let after, let handoverUpdates, let user, let language)?:
            hello = (session, max(0, after), handoverUpdates, user, language)
        case .some:
            try await send(.error(code: "hello_required", message: "the first frame must be 'hello'"), outbound)
            return nil
        case nil:
            try await send(.error(code: "invalid_frame", message: "frames are JSON objects with a known 'type'"), outbound)
            return nil
        }
        let session: Session, resumed: Bool
        do {
            (session, resumed) = try await resolveSession(hello.session, user: hello.user, language: hello.language, client: client, outbound: outbound)
        } catch let refused as NewConversationsRefused {
            try await send(.error(code: NewConversationsRefused.code, message: refused.message), outbound)
            return nil
        }
        // Subscribe before anything is sent, so nothing published from here on can slip between backlog and live.
        let forwarder = LiveForwarder(socket: self, sessionID: session.id, outbound: outbound, executor: executor)
        let opened = Opened(forwarder: forwarder, subscription: await hub.subscribe(session.id) { forwarder.enqueue($0) })
        do {
            try await send(
                .ready(
                    session: session.id, resumed: resumed, lastID: session.lastMessageID, endpointName: endpoint.configuration.name,
                    language: endpoint.policy.notices.defaultLanguage, webchat: endpoint.webchat), outbound)
        } catch {
            opened.stop(hub)
            throw error
        }
        forwarder.start(after: resumed ? hello.after : 0, handoverUpdates: hello.handoverUpdates)
        // A reconnecting user may have missed agent replies whose webhooks were lost meanwhile.
        if resumed, session.state.handover?.phase == .active { reconciler.reconcileLater(session.id) }
        return opened
    }

    /// Runs `work` in a child task of its own and returns its result.
    ///
    /// A socket's task lives as long as the socket, and a task keeps every slab of task-local stack it ever grew
    /// (the runtime reuses them rather than freeing them) until it ends. Handling a frame goes deep (the store,
    /// the flow, the writer), so it runs in a short-lived child task that gives its memory back; the socket's own
    /// task only ever waits. With the handling in it, an idle socket kept about 10 KB more (heaptrack: slabs
    /// attributed to the next wait).
    @inline(never)  // Inlined, its task group's code made the socket's waiting frame larger.
    static func inChildTask<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask(operation: work)
            return try await group.next()!
        }
    }

    /// The session the browser asked for, or a new one (unknown, malformed or foreign tokens start afresh). A user
    /// the embedding site vouches for (`identifierHash` matches the endpoint's identity secret) always gets their
    /// own session, on any device; the attributes the page gives land in the session's profile either way.
    /// A new session's profile gets the browser's `language`, so Baton's notices are in it (a flow may change it).
    func resolveSession(
        _ token: String?, user: WebchatUser?, language: String?, client: IPAddress?, outbound: WebSocketOutboundWriter
    ) async throws -> (Session, resumed: Bool) {
        var verifiedID: String?
        if let user, let secret = endpoint.configuration.webchat.identitySecret {
            if user.isVerified(by: secret) {
                verifiedID = user.id
            } else if user.identifierHash != nil {
                try await send(.error(code: "identity_invalid", message: "the user's identifierHash does not match; continuing as a visitor"), outbound)
            }
        }
        let profile: JSONValue = language.map { ["language": .string($0)] } ?? .emptyObject
        var (session, resumed) = try await findSession(token, verifiedUserID: verifiedID, profile: profile, client: client)
        if let values = user?.profileValues, !values.isEmpty {
            session = try await conversations.updateProfile(values, sessionID: session.id)
        }
        return (session, resumed)
    }

    func findSession(_ token: String?, verifiedUserID: String?, profile: JSONValue, client: IPAddress?) async throws -> (Session, resumed: Bool) {
        if let verifiedUserID {
            let turn = try await conversations.openSession(endpoint: endpoint, userID: verifiedUserID, channel: .webchat, profile: profile)
            let session = try await store.session(id: turn.session.id) ?? turn.session
            return (session, token == session.id.rawValue)
        }
        if let token, let session = try await store.session(token, of: endpoint), !session.channel.isOwnedByOutsideBot,
            endpoint.configuration.webchat.identitySecret == nil || session.userID.hasPrefix(Self.visitorPrefix)
        {
            // With identities on, a verified user's session is reached through the identity only, never its token.
            return (session, true)
        }
        // A webchat visitor has no identity of their own: a random user id makes their session theirs alone.
        try await newConversations.admit(client)
        let userID = Self.visitorPrefix + SessionID.random().rawValue.dropFirst(2)
        let turn = try await conversations.openSession(endpoint: endpoint, userID: userID, channel: .webchat, profile: profile)
        // Read it again so `ready.lastId` counts the greeting the start just stored.
        return (try await store.session(id: turn.session.id) ?? turn.session, false)
    }

    static let visitorPrefix = "webchat-"

    /// What the forwarder has sent so far.
    struct ForwardPosition {
        var lastSent: Int64
        var handover: HandoverFrameState
        /// Whether events were dropped since the socket last caught up from the store (`LiveForwarder.maxPending`).
        var lostEvents = false
    }

    /// Sends the handover state, what was taken back of the messages up to `after` (the page may have shown them
    /// before a retraction it never heard) and the backlog after `after` (see `LiveForwarder`). The one read of the
    /// session a socket makes for its handover: from here on the hub's events carry each new phase.
    func start(after: Int64, handoverUpdates: Bool, sessionID: SessionID, outbound: WebSocketOutboundWriter) async throws -> ForwardPosition {
        var position = ForwardPosition(lastSent: after, handover: HandoverFrameState(enabled: handoverUpdates))
        try await sendHandoverFromStore(&position, sessionID: sessionID, outbound: outbound)
        try await sendRetractions(through: after, sessionID: sessionID, outbound: outbound)
        position.lastSent = try await sendBacklog(after: after, sessionID: sessionID, outbound: outbound)
        return position
    }

    /// Sends one live event, never a message twice and never out of order.
    func forward(_ event: HubEvent, position: inout ForwardPosition, sessionID: SessionID, outbound: WebSocketOutboundWriter) async throws {
        switch event {
        case .message(let message):
            if message.id <= position.lastSent { return }
            if message.id == position.lastSent + 1 {
                try await send(.message(MessagePayload(message)), outbound)
                position.lastSent = message.id
            } else {
                // Another instance's commits are heard after this one's, and a socket that fell behind lost events:
                // the store has everything up to this id, in order, and the handover phase that goes with it.
                try await catchUp(&position, sessionID: sessionID, outbound: outbound)
            }
        case .handover(let phase):
            if let frame = position.handover.frame(for: phase) { try await send(frame, outbound) }
        case .retracted(let id):
            try await send(.retract(id: id), outbound)
        case .moved(let id, let to):
            try await send(.retract(id: id, movedTo: to), outbound)
        case .typing(let sender, let on):
            try await send(.typing(sender: sender, on: on), outbound)
        case .draft(let text):
            try await send(.draft(text: text), outbound)
        case .deleted:
            // Told now, not when the user next writes: the page stops showing a conversation that is gone.
            try await sendSessionGone(outbound)
        }
    }

    /// Sends from the store what the socket may have missed: what was taken back of the messages it was sent, when
    /// events were dropped (they may have been retractions), the messages after its last, and the handover phase.
    func catchUp(_ position: inout ForwardPosition, sessionID: SessionID, outbound: WebSocketOutboundWriter) async throws {
        if position.lostEvents {
            try await sendRetractions(through: position.lastSent, sessionID: sessionID, outbound: outbound)
            position.lostEvents = false
        }
        position.lastSent = try await sendBacklog(after: position.lastSent, sessionID: sessionID, outbound: outbound)
        try await sendHandoverFromStore(&position, sessionID: sessionID, outbound: outbound)
    }

    func sendHandoverFromStore(_ position: inout ForwardPosition, sessionID: SessionID, outbound: WebSocketOutboundWriter) async throws {
        guard let session = try await store.session(id: sessionID) else { return }
        if let frame = position.handover.frame(for: HandoverPhase(session.state.handover, asOf: session.lastMessageID)) { try await send(frame, outbound) }
    }

    /// Sends a `retract` frame for each retracted message up to `through`, oldest first. The page may have shown
    /// them; one it has removed already it removes again, which changes nothing.
    func sendRetractions(through: Int64, sessionID: SessionID, outbound: WebSocketOutboundWriter) async throws {
        guard through > 0 else { return }
        for message in try await store.retractedMessages(sessionID: sessionID, through: through) {
            try await send(.retract(id: message.id, movedTo: message.movedTo), outbound)
        }
    }

    func sendBacklog(after: Int64, sessionID: SessionID, outbound: WebSocketOutboundWriter) async throws -> Int64 {
        var lastSent = after
        while true {
            let page = try await store.messages(sessionID: sessionID, after: lastSent, limit: Self.backlogPage)
            for message in page {
                try await send(.message(MessagePayload(message)), outbound)
                lastSent = message.id
            }
            if page.count < Self.backlogPage { return lastSent }
        }
    }

    func handle(_ frame: WebSocketMessage, opened: Opened, outbound: WebSocketOutboundWriter) async throws {
        let sessionID = opened.sessionID
        switch decode(frame) {
        case .message(let text, let clientMessageID, let payload, let data)?:
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty || payload != nil else {
                try await send(.error(code: "invalid_frame", message: "a message needs text"), outbound)
                return
            }
            if let clientMessageID, !ClientIdentifier.isValid(clientMessageID, maxLength: ClientIdentifier.maxMessageIDLength) {
                try await send(.error(code: "invalid_frame", message: "'clientMessageId' must have 1 to 128 characters and no control characters"), outbound)
                return
            }
            let input = UserInput(text: trimmed, payload: payload, data: data ?? .null)
            do {
                let turn = try await conversations.receive(input, clientMessageID: clientMessageID, in: sessionID, endpoint: endpoint)
                if let clientMessageID, let stored = turn.userMessage {
                    try await send(.ack(clientMessageID: clientMessageID, id: stored.id), outbound)
                }
            } catch let error as MessageLimitError {
                try await send(.error(code: error.code, message: error.description), outbound)
            } catch SessionStoreError.sessionNotFound {
                try await sendSessionGone(outbound)
            } catch {
                logger.error("webchat message failed", metadata: ["session": "\(sessionID)", "error": "\(String(reflecting: error))"])
                try await send(.error(code: "internal", message: "your message could not be processed; please try again"), outbound)
            }
        case .survey(let surveyID, let rating, let feedback, let clientMessageID)?:
            if let clientMessageID, !ClientIdentifier.isValid(clientMessageID, maxLength: ClientIdentifier.maxMessageIDLength) {
                try await send(.error(code: "invalid_frame", message: "'clientMessageId' must have 1 to 128 characters and no control characters"), outbound)
                return
            }
            do {
                let turn = try await conversations.answerSurvey(surveyID, rating: rating, feedback: feedback, clientMessageID: clientMessageID, sessionID: sessionID)
                if let clientMessageID, let stored = turn.userMessage { try await send(.ack(clientMessageID: clientMessageID, id: stored.id), outbound) }
            } catch let error as SurveyError {
                try await send(.error(code: error.code, message: error.description), outbound)
            } catch let error as MessageLimitError {
                try await send(.error(code: error.code, message: error.description), outbound)
            } catch SessionStoreError.sessionNotFound {
                try await sendSessionGone(outbound)
            } catch {
                logger.error("webchat survey answer failed", metadata: ["session": "\(sessionID)", "error": "\(String(reflecting: error))"])
                try await send(.error(code: "internal", message: "your answer could not be saved; please try again"), outbound)
            }
        case .hello?:
            try await send(.error(code: "invalid_frame", message: "'hello' is only allowed once"), outbound)
        case .typing(let on)?:
            presence.userTyping(on, sessionID: sessionID, endpoint: endpoint)
        case .seen(let id)?:
            presence.userSaw(through: id, sessionID: sessionID, endpoint: endpoint)
        case .ping?:
            try await send(.pong, outbound)
            // The page pings after 20 s of silence. During a handover that silence may be a reply whose webhook was
            // lost: look, at most once a minute, so an open page gets it without reconnecting.
            if opened.forwarder.handoverIsActive { reconciler.reconcileLater(sessionID, minimumInterval: Reconciler.idleInterval) }
        case .delete?:
            try await delete(sessionID, outbound: outbound)
        case nil:
            try await send(.error(code: "invalid_frame", message: "frames are JSON objects with a known 'type'"), outbound)
        }
    }

    /// The user's "Delete conversation": erased as an operator's erasure is, refused while an agent has it. The page
    /// told `deleted` forgets the session and says `hello` anew, which opens a new one; an erasure that found the
    /// session gone already (another tab's, the retention's) is as good.
    func delete(_ sessionID: SessionID, outbound: WebSocketOutboundWriter) async throws {
        guard endpoint.webchat.userCanDelete else {
            try await send(.error(code: "not_allowed", message: "this chat does not let its users delete conversations"), outbound)
            return
        }
        let deletion: SessionDeletion
        do {
            deletion = try await erasure.erase(sessionID, by: "webchat user")
        } catch {
            logger.error("a webchat user's conversation could not be deleted", metadata: ["session": "\(sessionID)", "error": "\(String(reflecting: error))"])
            try await send(.error(code: "internal", message: "the conversation could not be deleted; please try again"), outbound)
            return
        }
        switch deletion {
        case .deleted, .notFound:
            try await send(.deleted, outbound)
        case .handoverInProgress:
            try await send(.error(code: "handover_in_progress", message: "an agent has this conversation; it can be deleted once it ends"), outbound)
        }
    }

    func decode(_ message: WebSocketMessage) -> ClientFrame? {
        guard case .text(let text) = message else { return nil }
        return try? JSONDecoder().decode(ClientFrame.self, from: Data(text.utf8))
    }

    /// The socket's session was deleted (an operator erased it, or it was idle past the retention) while the page
    /// stayed open: the page is to say `hello` again, which opens a new session, and send what it still holds there.
    func sendSessionGone(_ outbound: WebSocketOutboundWriter) async throws {
        try await send(.error(code: "session_not_found", message: "this conversation was deleted; a new one starts"), outbound)
    }

    func send(_ frame: ServerFrame, _ outbound: WebSocketOutboundWriter) async throws {
        try await outbound.write(.text(frame.text))
    }
}

/// The newest handover phase the socket knows, and whether the browser has been told it: a `handover` frame goes out
/// (to a page that asked for them) only when the phase changes, and never for a phase older than one already known.
struct HandoverFrameState {
    let enabled: Bool
    private(set) var known: HandoverPhase?

    init(enabled: Bool) { self.enabled = enabled }

    /// Takes `phase` in; returns the frame that tells the browser, or `nil` when it knows it or something newer.
    mutating func frame(for phase: HandoverPhase) -> ServerFrame? {
        if let known {
            guard phase.isNewer(than: known) else { return nil }
            self.known = phase
            if !phase.differs(from: known) { return nil }
        }
        known = phase
        return enabled ? .handover(phase) : nil
    }
}
