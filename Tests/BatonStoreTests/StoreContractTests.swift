import BatonCore
import BatonStoreSQLite
import Foundation
import Synchronization
import Testing

/// The behaviour every `SessionStore` must have. Each test runs against every implementation in `StoreKind`.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible {
    case sqlite
    /// Needs `BATON_TEST_POSTGRES_URL`; fails without it unless `BATON_TEST_SKIP_POSTGRES=1` leaves it out.
    case postgres

    static var allCases: [StoreKind] { PostgresTestServer.isSkipped ? [.sqlite] : [.sqlite, .postgres] }

    var testDescription: String { rawValue }

    /// A fresh, migrated store and a way to open it again over the same data (a restart).
    func make() async throws -> (store: any SessionStore, reopen: @Sendable () async throws -> any SessionStore) {
        switch self {
        case .sqlite:
            let path = temporarySQLitePath("store")
            let store = try SQLiteSessionStore(path: path)
            try await store.migrate()
            return (store, {
                let reopened = try SQLiteSessionStore(path: path)
                try await reopened.migrate()
                return reopened
            })
        case .postgres:
            let schema = try await PostgresTestServer.freshSchema()
            return (try await PostgresTestServer.store(schema: schema), { try await PostgresTestServer.store(schema: schema) })
        }
    }
}

let epoch = Date(timeIntervalSince1970: 1_800_000_000.123)

/// Where a test's new SQLite file goes: `baton.sqlite` in a folder of its own under the temporary directory, named
/// for what the test does (the store makes the folder).
func temporarySQLitePath(_ purpose: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("baton-\(purpose)-\(UUID().uuidString)/baton.sqlite").path
}

func draft(_ text: String, _ sender: Sender = .user, clientID: String? = nil, at date: Date = epoch) -> MessageDraft {
    MessageDraft(sender: sender, content: MessageContent(text: text), createdAt: date, clientMessageID: clientID)
}

func newSession(_ store: any SessionStore, user: String = "u1", endpoint: String = "e1") async throws -> Session {
    try await store.findOrCreateSession(
        endpointID: endpoint, userID: user, channel: .webchat, initialState: ConversationState(), now: epoch, makeID: SessionID.random
    ).session
}

@Suite("Store contract")
struct StoreContractTests {
    /// What a message shows comes back whole from the store: a page that reloads, the REST channel's history and a
    /// handover's transcript read it there. (Cards were once left out of the stored text.)
    @Test(arguments: StoreKind.allCases)
    func aMessagesCardsAttachmentsAndButtonsAreReadBackAsStored(kind: StoreKind) async throws {
        let (store, _) = try await kind.make()
        let session = try await newSession(store)
        let content = MessageContent(
            text: "Our plans", quickReplies: [QuickReply(title: "More")],
            attachments: [Attachment(kind: .image, url: "https://shop.example/a.png", name: "a.png", mimeType: "image/png", size: 1_024)],
            cards: [
                Card(title: "Pro", subtitle: "All in", imageURL: "https://shop.example/pro.png", buttons: [.link("Buy", url: "https://shop.example/pro"), .reply("Later")]),
                Card(buttons: [.reply("Call me", payload: "call")]),
            ])
        _ = try await store.update(sessionID: session.id, now: epoch) { $0.append(MessageDraft(sender: .bot, content: content, createdAt: epoch)) }
        #expect(try await store.messages(sessionID: session.id, after: 0, limit: 10).map(\.content) == [content])
    }

    /// A handover's whole state outlives the process: the agent's picture (the webchat's header shows it) and how the
    /// handover ended (the handovers API's notifications say it) were once left out of the stored text, and only a
    /// process that still held the state in memory had them.
    @Test(arguments: StoreKind.allCases)
    func aHandoversAgentPictureAndEndingAreReadBackAfterARestart(kind: StoreKind) async throws {
        let (store, reopen) = try await kind.make()
        let session = try await newSession(store)
        var handover = HandoverState(phase: .active, nodeID: "agent", number: 2, inboxID: 3, contactID: 4, conversationID: 5)
        handover.agentJoined = true
        handover.agentName = "Maria"
        handover.agentAvatar = "https://chatwoot.example/rails/active_storage/maria.png"
        handover.ending = HandoverOutcome(status: .inactive, reason: .agentInactive, detail: "no answer for 300 s", resumeAt: "menu")
        let stored = handover
        _ = try await store.update(sessionID: session.id, now: epoch) { $0.state.handover = stored }
        let reopened = try await reopen()
        #expect(try await reopened.session(id: session.id)?.state.handover == stored)
    }

    @Test(arguments: StoreKind.allCases)
    func theRateBucketIsSavedWithTheChangeAndNotWhenTheChangeFails(kind: StoreKind) async throws {
        let (store, reopen) = try await kind.make()
        let session = try await newSession(store)
        _ = try await store.update(sessionID: session.id, now: epoch) { update in
            #expect(update.rateBucket == nil, "a new session has none yet")
            update.rateBucket = RateBucket(tokens: 2.5, at: epoch)
        }
        struct Refused: Error {}
        await #expect(throws: Refused.self) {
            _ = try await store.update(sessionID: session.id, now: epoch) { update in
                update.rateBucket = RateBucket(tokens: 0, at: epoch.addingTimeInterval(1))
                throw Refused()
            }
        }
        let reopened = try await reopen()
        _ = try await reopened.update(sessionID: session.id, now: epoch) { update in
            #expect(update.rateBucket == RateBucket(tokens: 2.5, at: epoch))
        }
    }

    /// An agent's reply passes the handover's sync position over itself and over the copies of later replies it
    /// moves behind it, so the provider is never sent its own messages back.
    /// `committed` gets what the caller gets, as the transaction commits and before the caller hears (the hub
    /// publishes from there); a change that fails hands nothing over; concurrent changes are handed over in the order
    /// they were stored.
    @Test(arguments: StoreKind.allCases)
    func whatAChangeStoredIsHandedOverAsItCommitsBeforeItsCallerHears(kind: StoreKind) async throws {
        let (store, _) = try await kind.make()
        let session = try await newSession(store)
        let handed = Mutex<[(result: Int, texts: [String], ids: [Int64])]>([])
        let record: @Sendable ((result: Int, messages: [Message])) -> Void = { committed in
            handed.withLock { $0.append((committed.result, committed.messages.map(\.content.text), committed.messages.map(\.id))) }
        }
        let (result, stored) = try await store.update(sessionID: session.id, now: epoch, committed: record) { update in
            update.append(draft("one"))
            update.append(draft("two"))
            return 7
        }
        let first = handed.withLock { $0 }
        #expect(first.map(\.result) == [7] && first.map(\.texts) == [["one", "two"]], "handed over before the caller heard")
        #expect(result == 7 && first.map(\.ids) == [stored.map(\.id)])

        struct Refused: Error {}
        await #expect(throws: Refused.self) {
            _ = try await store.update(sessionID: session.id, now: epoch, committed: record) { update -> Int in
                update.append(draft("refused"))
                throw Refused()
            }
        }
        await #expect(throws: SessionStoreError.self) {
            _ = try await store.update(sessionID: session.id, now: epoch, committed: record) { update -> Int in
                update.append(draft("again", clientID: "c1"))
                update.append(draft("again", clientID: "c1"))
                return 0
            }
        }
        #expect(handed.withLock { $0.count } == 1, "nothing of the changes that failed")

        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<20 {
                group.addTask { _ = try await store.update(sessionID: session.id, now: epoch, committed: record) { $0.append(draft("m\(index)")); return index } }
            }
            try await group.waitForAll()
        }
        let ids = handed.withLock { $0.flatMap(\.ids) }
        #expect(ids == Array(1...22), "every stored message, in the order of the commits")
    }

    @Test(arguments: StoreKind.allCases)
    func passingOverCountsTheCopiesAReplyMovesBehindIt(kind: StoreKind) async throws {
        let store = try await kind.make().store
        let session = try await newSession(store)
        _ = try await store.update(sessionID: session.id, now: epoch) { update in
            update.append(draft("hi"))
            update.state.handover = HandoverState(phase: .active, nodeID: "h", number: 1, conversationID: 7, syncedThrough: 1)
        }
        for (text, order) in [("third", Int64(30)), ("fourth", 40), ("second", 20), ("fifth", 50)] {
            let reply = MessageDraft(sender: .agent, content: MessageContent(text: text), createdAt: epoch, externalID: "m\(order)", externalOrder: order)
            _ = try await store.update(sessionID: session.id, now: epoch) { update in
                update.append(reply)
                update.passOverAppended()
            }
        }
        let stored = try #require(try await store.session(id: session.id))
        // "second" came late and moved "third" and "fourth" behind it: 2 replies, 2 copies, 1 more reply after.
        #expect(stored.lastMessageID == 1 + 3 + 2 + 1)
        #expect(stored.state.handover?.syncedThrough == stored.lastMessageID, "nothing of the agent's waits to go back")
    }

    /// A caller that asks for a job per copy of a reply its late one moves (an outside bot is told of each move) gets
    /// one saved with the change, after its own jobs, in the copies' order, and none when nothing moves. (The
    /// PostgreSQL store saves a reply first on the guess that nothing moves, and learns of the moves when that fails.)
    @Test(arguments: StoreKind.allCases)
    func aJobIsSavedForEachCopyALateReplyMoves(kind: StoreKind) async throws {
        let store = try await kind.make().store
        let session = try await newSession(store)
        for (text, order) in [("third", Int64(30)), ("fourth", 40), ("second", 20)] {
            let reply = MessageDraft(sender: .agent, content: MessageContent(text: text), createdAt: epoch, externalID: "m\(order)", externalOrder: order)
            _ = try await store.update(sessionID: session.id, now: epoch) { update in
                update.append(reply)
                update.enqueue(.note(text, handover: 1))
                update.enqueueForEachMovedCopy { .post(messageID: $0, handover: 1) }
            }
        }
        let messages = try await store.messages(sessionID: session.id, after: 0, limit: 10)
        let copies = messages.filter { $0.movedFrom != nil }
        #expect(copies.map(\.content.text) == ["third", "fourth"])
        #expect(copies.map(\.movedFrom) == [1, 2])
        let jobs = try await store.outbox(dead: false, limit: 10).map(\.job)
        #expect(jobs == [.note("third", handover: 1), .note("fourth", handover: 1), .note("second", handover: 1)] + copies.map { .post(messageID: $0.id, handover: 1) })
    }

    /// A late reply delivered again would move the replies after it once more: the repeated external id is refused
    /// (named after that reply, not after the copies it would have moved) and nothing moves.
    @Test(arguments: StoreKind.allCases)
    func aLateReplyDeliveredAgainIsRefusedAndMovesNothing(kind: StoreKind) async throws {
        let store = try await kind.make().store
        let session = try await newSession(store)
        func reply(_ text: String, _ order: Int64) -> MessageDraft {
            MessageDraft(sender: .agent, content: MessageContent(text: text), createdAt: epoch, externalID: "m\(order)", externalOrder: order)
        }
        for draft in [reply("third", 30), reply("second", 20)] {
            _ = try await store.update(sessionID: session.id, now: epoch) { $0.append(draft) }
        }
        let before = try await store.messages(sessionID: session.id, after: 0, limit: 10)
        let again = reply("second", 20)
        await #expect(throws: SessionStoreError.duplicateExternalMessage(session.id, "m20")) {
            _ = try await store.update(sessionID: session.id, now: epoch) { $0.append(again) }
        }
        #expect(try await store.messages(sessionID: session.id, after: 0, limit: 10) == before)
        #expect(before.filter { !$0.retracted }.map(\.content.text) == ["second", "third"])
    }

    @Test(arguments: StoreKind.allCases)
    func findOrCreateCreatesOnceAndThenFinds(kind: StoreKind) async throws {
        let store = try await kind.make().store
        let first = try await store.findOrCreateSession(
            endpointID: "e1", userID: "u1", channel: .rest, initialState: ConversationState(context: ["a": 1]), now: epoch, makeID: SessionID.random)
        let second = try await store.findOrCreateSession(
            endpointID: "e1", userID: "u1", channel: .rest, initialState: ConversationState(), now: epoch, makeID: SessionID.random)
        #expect(first.created)
        #expect(!second.created)
        #expect(second.session.id == first.session.id)
        #expect(second.session.state.context == ["a": 1])
        #expect(second.session.channel == .rest)
        let otherEndpoint = try await newSession(store, user: "u1", endpoint: "e2")
        #expect(otherEndpoint.id != first.session.id, "the same user id on another endpoint is another session")
    }

    @Test(arguments: StoreKind.allCases)
    func concurrentFindOrCreateGivesOneSession(kind: StoreKind) async throws {
        let store = try await kind.make().store
        let ids = try await withThrowingTaskGroup(of: SessionID.self) { group in
            for _ in 0..<20 { group.addTask { try await newSession(store, user: "racer").id } }
            return try await group.reduce(into: Set<SessionID>()) { $0.insert($1) }
        }
        #expect(ids.count == 1)
    }

    @Test(arguments: StoreKind.allCases)
    func updateAppendsGapFreeIdsAndSavesState(kind: StoreKind) async throws {
        let store = try await kind.make().store
        let session = try await newSession(store)
        let (result, first) = try await store.update(sessionID: session.id, now: epoch) { update in
            update.append(draft("one"))
            update.append(draft("two", .bot))
            update.state.context = ["step": 2]
            return "done"
        }
        #expect(result == "done")
        #expect(first.map(\.id) == [1, 2])
        let (_, second) = try await store.update(sessionID: session.id, now: epoch) { update in
            #expect(update.state.context == ["step": 2])
            update.append(draft("three"))
        }
        #expect(second.map(\.id) == [3])
        let reloaded = try #require(try await store.session(id: session.id))
        #expect(reloaded.lastMessageID == 3)
        #expect(reloaded.state.context == ["step": 2])
        let all = try await store.messages(sessionID: session.id, after: 0, limit: 100)
        #expect(all.map(\.content.text) == ["one", "two", "three"])
        #expect(all.map(\.sender) == [.user, .bot, .user])
    }

    @Test(arguments: StoreKind.allCases)
    func concurrentUpdatesOfOneSessionSerialize(kind: StoreKind) async throws {
        let store = try await kind.make().store
        let session = try await newSession(store)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<40 {
                group.addTask {
                    _ = try await store.update(sessionID: session.id, now: epoch) { update in
                        let count = update.state.context["count"].flatMap { if case .number(let n) = $0 { n } else { nil } } ?? 0
                        update.state.context = ["count": .number(count + 1)]
                        update.append(draft("m\(index)"))
                    }
                }
            }
            try await group.waitForAll()
        }
        let messages = try await store.messages(sessionID: session.id, after: 0, limit: 100)
        #expect(messages.map(\.id) == Array(1...40))
        #expect(Set(messages.map(\.content.text)).count == 40)
        #expect(try await store.session(id: session.id)?.state.context == ["count": 40])
    }

    @Test(arguments: StoreKind.allCases)
    func aThrowingUpdateSavesNothing(kind: StoreKind) async throws {
        struct Refused: Error {}
        let store = try await kind.make().store
        let session = try await newSession(store)
        await #expect(throws: Refused.self) {
            _ = try await store.update(sessionID: session.id, now: epoch) { update in
                update.append(draft("lost"))
                update.state.context = ["changed": true]
                throw Refused()
            }
        }
        #expect(try await store.messages(sessionID: session.id, after: 0, limit: 10).isEmpty)
        #expect(try await store.session(id: session.id)?.state == ConversationState())
    }

    @Test(arguments: StoreKind.allCases)
    func aRepeatedClientMessageIdIsRefusedWhole(kind: StoreKind) async throws {
        let store = try await kind.make().store
        let session = try await newSession(store)
        _ = try await store.update(sessionID: session.id, now: epoch) { $0.append(draft("hi", clientID: "c1")) }
        await #expect(throws: SessionStoreError.duplicateClientMessage(session.id, "c1")) {
            _ = try await store.update(sessionID: session.id, now: epoch) { update in
                update.append(draft("hi again", clientID: "c1"))
                update.append(draft("bot answer", .bot))
            }
        }
        #expect(try await store.messages(sessionID: session.id, after: 0, limit: 10).count == 1)
        let found = try #require(try await store.message(sessionID: session.id, clientMessageID: "c1"))
        #expect(found.id == 1 && found.content.text == "hi")
        #expect(try await store.message(sessionID: session.id, clientMessageID: "c2") == nil)
        let other = try await newSession(store, user: "u2")
        _ = try await store.update(sessionID: other.id, now: epoch) { $0.append(draft("same id, other session", clientID: "c1")) }
    }

    @Test(arguments: StoreKind.allCases)
    func messagesPageAfterAnId(kind: StoreKind) async throws {
        let store = try await kind.make().store
        let session = try await newSession(store)
        _ = try await store.update(sessionID: session.id, now: epoch) { update in
            for index in 1...7 { update.append(draft("m\(index)")) }
        }
        #expect(try await store.messages(sessionID: session.id, after: 2, limit: 3).map(\.id) == [3, 4, 5])
        #expect(try await store.messages(sessionID: session.id, after: 5, limit: 10).map(\.id) == [6, 7])
        #expect(try await store.messages(sessionID: session.id, after: 7, limit: 10).isEmpty)
        #expect(try await store.messages(sessionID: SessionID.random(), after: 0, limit: 10).isEmpty)
    }

    @Test(arguments: StoreKind.allCases)
    func anUnknownSessionIsReported(kind: StoreKind) async throws {
        let store = try await kind.make().store
        let unknown = SessionID.random()
        #expect(try await store.session(id: unknown) == nil)
        await #expect(throws: SessionStoreError.sessionNotFound(unknown)) {
            _ = try await store.update(sessionID: unknown, now: epoch) { $0.append(draft("x")) }
        }
    }

    @Test(arguments: StoreKind.allCases)
    func everyMessageFieldRoundTrips(kind: StoreKind) async throws {
        let store = try await kind.make().store
        let session = try await newSession(store)
        let content = MessageContent(
            text: "Look **here** 🎉", quickReplies: [QuickReply(title: "Yes", payload: "y")],
            attachments: [Attachment(kind: .gif, url: "https://example.com/a.gif", name: "a.gif", mimeType: "image/gif", size: 48_213)],
            data: ["nested": ["n": 1.5, "flag": true, "none": nil]])
        let original = MessageDraft(
            sender: .agent, content: content, createdAt: epoch, clientMessageID: nil, agentName: "Jane", externalID: "cw-42")
        _ = try await store.update(sessionID: session.id, now: epoch) { $0.append(original) }
        let stored = try #require(try await store.messages(sessionID: session.id, after: 0, limit: 1).first)
        #expect(stored == Message(id: 1, sessionID: session.id, draft: original))
        #expect(stored.createdAt.timeIntervalSince1970 == epoch.timeIntervalSince1970, "times keep millisecond precision")
    }

    @Test(arguments: StoreKind.allCases)
    func aNulCharacterInTextAndStateRoundTrips(kind: StoreKind) async throws {
        // Users can type anything; PostgreSQL's jsonb and text refuse NUL, so the stores must keep it inside JSON text.
        let store = try await kind.make().store
        let session = try await newSession(store)
        let text = "before\u{0}after"
        _ = try await store.update(sessionID: session.id, now: epoch) { update in
            update.append(draft(text))
            update.state.context = ["answer": .string(text)]
        }
        #expect(try await store.messages(sessionID: session.id, after: 0, limit: 1).first?.content.text == text)
        #expect(try await store.session(id: session.id)?.state.context == ["answer": .string(text)])
    }

    @Test(arguments: StoreKind.allCases)
    func everythingSurvivesAReopen(kind: StoreKind) async throws {
        let (store, reopen) = try await kind.make()
        let session = try await newSession(store)
        let state = ConversationState(flow: FlowState(position: .awaitingAnswer(nodeID: "ask", attempts: 2)), context: ["name": "Ada"], profile: ["tier": "vip"])
        _ = try await store.update(sessionID: session.id, now: epoch) { update in
            update.append(draft("hello", clientID: "c1"))
            update.append(draft("hi Ada", .bot))
            update.state = state
        }
        let reopened = try await reopen()
        let reloaded = try #require(try await reopened.session(id: session.id))
        #expect(reloaded.state == state)
        #expect(reloaded.lastMessageID == 2)
        #expect(try await reopened.messages(sessionID: session.id, after: 0, limit: 10).map(\.content.text) == ["hello", "hi Ada"])
        #expect(try await reopened.message(sessionID: session.id, clientMessageID: "c1")?.id == 1)
        let (_, next) = try await reopened.update(sessionID: session.id, now: epoch) { $0.append(draft("after restart")) }
        #expect(next.map(\.id) == [3])
    }

    @Test(arguments: StoreKind.allCases)
    func pingAnswersWhenTheStoreIsUsable(kind: StoreKind) async throws {
        let store = try await kind.make().store
        try await store.ping()
    }

    @Test(arguments: StoreKind.allCases)
    func aRepeatedExternalIdIsRefusedAndRetractionMarksOnce(kind: StoreKind) async throws {
        let store = try await kind.make().store
        let session = try await newSession(store)
        let agent = MessageDraft(sender: .agent, content: MessageContent(text: "from the agent"), createdAt: epoch, externalID: "chatwoot:42")
        _ = try await store.update(sessionID: session.id, now: epoch) { $0.append(agent) }
        await #expect(throws: SessionStoreError.duplicateExternalMessage(session.id, "chatwoot:42")) {
            _ = try await store.update(sessionID: session.id, now: epoch) { $0.append(agent) }
        }
        let retracted = try #require(try await store.retract(sessionID: session.id, externalID: "chatwoot:42"))
        #expect(retracted.id == 1 && retracted.retracted)
        #expect(try await store.retract(sessionID: session.id, externalID: "chatwoot:42") == nil, "a second retraction changes nothing")
        #expect(try await store.retract(sessionID: session.id, externalID: "chatwoot:43") == nil)
        #expect(try await store.messages(sessionID: session.id, after: 0, limit: 10).map(\.retracted) == [true])
    }

    /// A retraction and what follows from it (an outside bot's notification) are one transaction: the change sees
    /// the message taken back, and when it throws, the message is not taken back either.
    @Test(arguments: StoreKind.allCases)
    func aRetractionIsSavedWithTheChangeThatFollowsFromIt(kind: StoreKind) async throws {
        struct Refused: Error {}
        let store = try await kind.make().store
        let session = try await newSession(store)
        let agent = MessageDraft(sender: .agent, content: MessageContent(text: "from the agent"), createdAt: epoch, externalID: "chatwoot:42")
        _ = try await store.update(sessionID: session.id, now: epoch) { $0.append(agent) }
        let seenBeforeThrowing = Mutex<Int64?>(nil)
        await #expect(throws: Refused.self) {
            _ = try await store.update(sessionID: session.id, now: epoch, retracting: "chatwoot:42", committed: nil) { update -> Void in
                seenBeforeThrowing.withLock { $0 = update.retracted?.id }
                throw Refused()
            }
        }
        #expect(seenBeforeThrowing.withLock { $0 } == 1)
        #expect(try await store.messages(sessionID: session.id, after: 0, limit: 10).map(\.retracted) == [false], "undone with the change")

        let (seen, _) = try await store.update(sessionID: session.id, now: epoch, retracting: "chatwoot:42", committed: nil) { update in
            update.enqueue(.post(messageID: 1, handover: 1))
            return update.retracted?.id
        }
        #expect(seen == 1)
        #expect(try await store.messages(sessionID: session.id, after: 0, limit: 10).map(\.retracted) == [true])
        #expect(try await store.claimOutbox(now: epoch, lease: 60, limit: 10).map(\.job) == [.post(messageID: 1, handover: 1)], "saved with it")
        let (again, _) = try await store.update(sessionID: session.id, now: epoch, retracting: "chatwoot:42", committed: nil) { $0.retracted }
        #expect(again == nil, "taken back once")
    }

    @Test(arguments: StoreKind.allCases)
    func linksFindTheirSessionPerEndpoint(kind: StoreKind) async throws {
        let (store, reopen) = try await kind.make()
        let first = try await newSession(store, user: "a")
        let second = try await newSession(store, user: "b")
        try await store.link(endpointID: "e1", conversationKey: "chatwoot:1:7", to: first.id)
        try await store.link(endpointID: "e2", conversationKey: "chatwoot:1:7", to: second.id)
        #expect(try await store.sessionID(endpointID: "e1", conversationKey: "chatwoot:1:7") == first.id)
        #expect(try await store.sessionID(endpointID: "e2", conversationKey: "chatwoot:1:7") == second.id)
        #expect(try await store.sessionID(endpointID: "e1", conversationKey: "chatwoot:1:8") == nil)
        try await store.link(endpointID: "e1", conversationKey: "chatwoot:1:7", to: second.id)
        #expect(try await reopen().sessionID(endpointID: "e1", conversationKey: "chatwoot:1:7") == second.id, "links survive a restart")
    }

    @Test(arguments: StoreKind.allCases)
    func uploadedFilesAreKeptWholeAndFoundById(kind: StoreKind) async throws {
        let (store, reopen) = try await kind.make()
        let session = try await newSession(store)
        // Every byte value, so no engine may treat the bytes as text.
        let file = StoredFile(
            id: "f_0123456789abcdef", sessionID: session.id, name: "scan 1.pdf", mimeType: "application/pdf", bytes: (0...255).map(UInt8.init) + [0, 0],
            createdAt: epoch)
        try await store.saveFile(file)
        #expect(try await store.file(id: file.id) == file)
        #expect(try await reopen().file(id: file.id) == file, "files survive a restart")
        #expect(try await store.file(id: "f_unknown") == nil)
    }

    @Test(arguments: StoreKind.allCases)
    func settingsAreKeptAndRemoved(kind: StoreKind) async throws {
        let (store, reopen) = try await kind.make()
        #expect(try await store.setting("bot") == nil)
        try await store.setSetting("bot", to: "3")
        try await store.setSetting("bot", to: "4")
        #expect(try await reopen().setting("bot") == "4")
        try await store.setSetting("bot", to: nil)
        #expect(try await store.setting("bot") == nil)
    }

    @Test(arguments: StoreKind.allCases)
    func aSettingMadeByCallersAtOnceIsMadeOnce(kind: StoreKind) async throws {
        let (first, reopen) = try await kind.make()
        let second = try await reopen()  // for PostgreSQL another pool, as another process has
        let makes = Counter()
        let values = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<8 {
                group.addTask {
                    try await (index.isMultiple(of: 2) ? first : second).setting("bot", replacing: nil) {
                        let made = await makes.next()
                        // Slow, like a call to Chatwoot, so callers without turns would all find the setting absent.
                        try await Task.sleep(for: .milliseconds(50))
                        return "bot-\(made)"
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(await makes.count == 1)
        #expect(values == Array(repeating: "bot-1", count: 8))
        #expect(try await first.setting("bot") == "bot-1")
    }

    @Test(arguments: StoreKind.allCases)
    func aStaleSettingIsMadeAgainOnceAndAFailedMakeStoresNothing(kind: StoreKind) async throws {
        let store = try await kind.make().store
        struct Refused: Error {}
        await #expect(throws: Refused.self) { try await store.setting("bot", replacing: nil) { throw Refused() } }
        #expect(try await store.setting("bot") == nil)
        #expect(try await store.setting("bot", replacing: nil) { "1" } == "1", "the failed maker left no lock behind")
        #expect(try await store.setting("bot", replacing: nil) { "never" } == "1")
        #expect(try await store.setting("bot", replacing: "1") { "2" } == "2")
        #expect(try await store.setting("bot", replacing: "1") { "never" } == "2", "someone replaced the stale value already")
        #expect(try await store.setting("bot") == "2")
    }
}

/// Counts calls across tasks.
actor Counter {
    private(set) var count = 0
    func next() -> Int {
        count += 1
        return count
    }
}
