import BatonConfig
import BatonCore
import BatonServer
import BatonStorePostgres
import Foundation
import PostgresNIO
import Testing

/// A hub event on one instance reaches the subscribers (webchat sockets, REST long-polls) of another instance.
@Suite("Fan-out between instances", .enabled(if: !TwoInstances.isSkipped, "BATON_TEST_SKIP_POSTGRES=1"))
struct HubFanOutTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    /// Stores a user message on `instance` and publishes it there, as the write path (Conversations) does after a step.
    static func say(_ text: String, on instance: TwoInstances.Instance, in session: Session) async throws -> Message {
        let (_, stored) = try await instance.store.update(sessionID: session.id, now: now) { update in
            update.append(MessageDraft(sender: .user, content: MessageContent(text: text), createdAt: now))
        }
        instance.hub.publish(stored)
        return try #require(stored.first)
    }

    static func newSession(on instance: TwoInstances.Instance) async throws -> Session {
        try await instance.store.findOrCreateSession(
            endpointID: "e", userID: "u", channel: .webchat, initialState: ConversationState(), now: now, makeID: SessionID.random
        ).session
    }

    static func isMessage(_ id: Int64) -> @Sendable (HubEvent) -> Bool {
        { if case .message(let message) = $0 { message.id == id } else { false } }
    }

    @Test func eventsPublishedOnOneInstanceReachTheOthersSubscribersOnce() async throws {
        try await TwoInstances.with { instances in
            let session = try await Self.newSession(on: instances.a)
            let onB = EventRecorder(await instances.b.hub.subscribe(session.id))
            let onA = EventRecorder(await instances.a.hub.subscribe(session.id))

            let first = try await Self.say("hello from a", on: instances.a, in: session)
            #expect(await onB.waitFor(Self.isMessage(first.id)), "the message reaches the socket on b")
            instances.a.hub.publish(.typing(sender: .agent, on: true), to: session.id)
            #expect(await onB.waitFor { $0 == .typing(sender: .agent, on: true) })
            // By now a's own announcements came back to it through the relay too, and were dropped.
            #expect(await onA.count(Self.isMessage(first.id)) == 1)
            #expect(await onA.count { $0 == .typing(sender: .agent, on: true) } == 1)

            let fromB = try await Self.say("hello from b", on: instances.b, in: session)
            #expect(await onA.waitFor(Self.isMessage(fromB.id)), "and back")
            if case .message(let received)? = await onA.events.last { #expect(received == fromB, "whole") }
            #expect(await instances.b.counter(#"baton_fanout_events_total{outcome="received"}"#, reaches: 2), "counted in b's /metrics")
            #expect(await instances.a.counter(#"baton_fanout_events_total{outcome="sent"}"#, reaches: 2))
            // A short message travels in the announcement: the receiving instance does not read it back.
            #expect(instances.a.counter(#"baton_fanout_events_total{outcome="read"}"#) == 0)
            #expect(instances.b.counter(#"baton_fanout_events_total{outcome="read"}"#) == 0)
        }
    }

    /// A session erased on one instance (its row, which names the instances that listen, gone with it) is told to
    /// the pages open on it on the others, so they start over at once.
    @Test func aDeletionReachesTheOtherInstancesSubscribers() async throws {
        try await TwoInstances.with { instances in
            let session = try await Self.newSession(on: instances.a)
            let onB = EventRecorder(await instances.b.hub.subscribe(session.id))
            #expect(try await instances.a.store.deleteSession(id: session.id) == .deleted)
            instances.a.hub.publish(.deleted, to: session.id)
            #expect(await onB.waitFor { $0 == .deleted }, "the page on b hears of it")
        }
    }

    /// A stored event goes only to the instances that listen to its session, on a channel of each: a third instance
    /// that holds no socket of it never hears of it, so a relayed message costs the others nothing. Typing, which
    /// comes from no write, still goes to every instance.
    @Test func aStoredEventReachesOnlyTheInstancesThatListenToItsSession() async throws {
        try await TwoInstances.with { instances in
            let session = try await Self.newSession(on: instances.a)
            let onB = EventRecorder(await instances.b.hub.subscribe(session.id))
            let third = instances.a.store.notifications(
                channel: instances.channel,
                listenerConfiguration: try TestDatabase.shared.get().0.connectionConfiguration(applicationName: instances.channel))
            let (heard, hear) = AsyncStream.makeStream(of: String.self)
            let (subscribed, subscribe) = AsyncStream.makeStream(of: Void.self)
            let listener = Task { try await third.listen(as: "c", onSubscribed: { subscribe.yield() }, receive: { hear.yield($0) }) }
            defer { listener.cancel() }
            var listening = subscribed.makeAsyncIterator()
            _ = await listening.next()

            let message = try await Self.say("for b alone", on: instances.a, in: session)
            #expect(await onB.waitFor(Self.isMessage(message.id)))
            instances.a.hub.publish(.typing(sender: .agent, on: true), to: session.id)
            // A listener hears what reaches it in the order it was sent: had the message reached c, it would come first.
            var payloads: [String] = []
            for await payload in heard {
                payloads.append(payload)
                if payload.contains(#""kind":"typing""#) { break }
            }
            #expect(payloads.count == 1, "c heard the typing event alone: \(payloads)")
        }
    }

    /// PostgreSQL refuses NOTIFY payloads of 8000 bytes or more: a longer message travels as its id, and the
    /// receiving instance reads it from the store.
    @Test func aMessageTooLongForTheRelayIsReadFromTheStoreByTheReceiver() async throws {
        try await TwoInstances.with { instances in
            let session = try await Self.newSession(on: instances.a)
            let onB = EventRecorder(await instances.b.hub.subscribe(session.id))
            let long = try await Self.say(String(repeating: "ü", count: 5_000), on: instances.a, in: session)
            let short = try await Self.say("and a short one", on: instances.a, in: session)
            #expect(await onB.waitFor(Self.isMessage(short.id)))
            let messages = await onB.events.compactMap { if case .message(let message) = $0 { message } else { nil } }
            #expect(messages == [long, short], "both whole, in order")
            #expect(instances.b.counter(#"baton_fanout_events_total{outcome="read"}"#) == 1, "only the long one was read back")
            #expect(instances.a.counter(#"baton_fanout_events_total{outcome="send_failed"}"#) == 0)
        }
    }

    /// A stored event of a session no other instance listens to is not announced at all; one that is announced
    /// anyway (typing comes from no write) is dropped unread by an instance with no socket of its session.
    @Test func anInstanceHoldingNoSocketOfTheSessionDropsItsEventsUnread() async throws {
        try await TwoInstances.with { instances in
            func session(_ user: String) async throws -> Session {
                try await instances.a.store.findOrCreateSession(
                    endpointID: "e", userID: user, channel: .webchat, initialState: ConversationState(), now: Self.now, makeID: SessionID.random
                ).session
            }
            let held = try await session("held on b")
            let elsewhere = try await session("held nowhere")
            let onB = EventRecorder(await instances.b.hub.subscribe(held.id))
            _ = try await Self.say("for nobody on b", on: instances.a, in: elsewhere)
            instances.a.hub.publish(.typing(sender: .agent, on: true), to: elsewhere.id)
            // The marker's statement announces it, so it may reach b before the typing event of another session.
            let marker = try await Self.say("for b's socket", on: instances.a, in: held)
            #expect(await onB.waitFor(Self.isMessage(marker.id)))
            #expect(await instances.b.counter(#"baton_fanout_events_total{outcome="not_held"}"#, reaches: 1), "the typing event dropped unread")
            #expect(instances.a.counter(#"baton_fanout_events_total{outcome="unheard"}"#) == 1, "the message was not sent")
            #expect(instances.b.counter(#"baton_fanout_events_total{outcome="not_held"}"#) == 1)
            #expect(instances.b.counter(#"baton_fanout_events_total{outcome="received"}"#) == 1, "only the held session's")
            #expect(await onB.count { _ in true } == 1)
        }
    }

    /// A session whose only socket is on the instance that writes it costs no announcement; once another instance
    /// subscribes, that instance is named in the session's row and the writer's next messages reach it.
    @Test func aSessionHeldOnlyWhereItIsWrittenIsNotAnnouncedUntilAnotherInstanceListens() async throws {
        try await TwoInstances.with { instances in
            let session = try await Self.newSession(on: instances.a)
            let onA = EventRecorder(await instances.a.hub.subscribe(session.id))
            let alone = try await Self.say("only a listens", on: instances.a, in: session)
            #expect(await onA.waitFor(Self.isMessage(alone.id)))
            #expect(try await instances.listeners(of: session.id) == ["a"], "a named itself in the row")

            let onB = EventRecorder(await instances.b.hub.subscribe(session.id))
            #expect(try await instances.listeners(of: session.id) == ["a", "b"], "b is named before its subscribe returns")
            let shared = try await Self.say("now b listens too", on: instances.a, in: session)
            #expect(await onB.waitFor(Self.isMessage(shared.id)), "announced, since b listens")
            // a's announcements go out in publication order: once b has the second message, a dealt with the first.
            #expect(instances.a.counter(#"baton_fanout_events_total{outcome="unheard"}"#) == 1, "the first was not sent")
            #expect(instances.b.counter(#"baton_fanout_events_total{outcome="not_held"}"#) == 0, "so b never had it to drop")
            #expect(instances.b.counter(#"baton_fanout_events_total{outcome="received"}"#) == 1)
            #expect(await onB.count(Self.isMessage(alone.id)) == 0, "what came before b subscribed is b's to read from the store")
        }
    }

    /// An instance that stopped without taking its name off a session's row (it died, or its last socket left while
    /// its fan-out was stopping) is taken off when another instance names itself there: nothing listens for it.
    /// A name is kept when that cannot be told: while a listener without an instance's name is connected (a Baton
    /// from before the names), while the instance naming itself does not see its own listener, or when the name is
    /// too long for `pg_stat_activity` to show whole.
    @Test func anInstanceThatNoLongerListensIsTakenOffTheSessionsItWasNamedIn() async throws {
        try await TwoInstances.with { instances in
            let gone = "gone-\(UUID().uuidString.prefix(8))"
            let tooLong = String(repeating: "x", count: 60)
            func named(_ names: [String], in session: SessionID) async throws {
                try await instances.admin.query("UPDATE \(unescaped: instances.schema).sessions SET listeners = \(names) WHERE id = \(session.rawValue)")
            }

            let first = try await Self.newSession(on: instances.a)
            _ = await instances.a.hub.subscribe(first.id) { _ in }
            try await named(["a", gone, tooLong], in: first.id)
            _ = await instances.b.hub.subscribe(first.id) { _ in }
            #expect(try await instances.listeners(of: first.id) == ["a", "b", tooLong], "the dead instance is taken off; a listens")

            let second = try await instances.a.store.findOrCreateSession(
                endpointID: "e", userID: "another", channel: .webchat, initialState: ConversationState(), now: Self.now, makeID: SessionID.random
            ).session
            try await named([gone], in: second.id)
            try await instances.admin.withConnection { connection in
                // What an older Baton's listener shows: the listener's name without an instance's.
                try await connection.query("SELECT set_config('application_name', \(instances.channel), false)", logger: TwoInstances.logger)
                _ = await instances.b.hub.subscribe(second.id) { _ in }
                try await connection.query("RESET application_name", logger: TwoInstances.logger)
            }
            #expect(try await instances.listeners(of: second.id) == ["b", gone], "kept while an unnamed listener is connected")

            // An instance whose own listener is not seen cannot tell the living from the dead either.
            let third = try await instances.a.store.findOrCreateSession(
                endpointID: "e", userID: "a third", channel: .webchat, initialState: ConversationState(), now: Self.now, makeID: SessionID.random
            ).session
            try await named([gone], in: third.id)
            let unseen = instances.a.store.notifications(
                channel: instances.channel,
                listenerConfiguration: try TestDatabase.shared.get().0.connectionConfiguration(applicationName: instances.channel))
            try await unseen.listen(to: [third.id], as: "unseen")
            #expect(try await instances.listeners(of: third.id) == [gone, "unseen"], "kept by an instance that does not see itself")
        }
    }

    /// A subscriber that comes while another instance writes a stream of messages misses none: each is either in
    /// the store when the subscriber reads it after subscribing, or announced to it afterwards.
    @Test func aSubscriberThatComesWhileMessagesAreWrittenMissesNone() async throws {
        try await TwoInstances.with { instances in
            let session = try await Self.newSession(on: instances.a)
            let (written, writtenSome) = AsyncStream.makeStream(of: Int.self)
            let writer = Task {
                var ids: [Int64] = []
                for number in 0..<200 {
                    ids.append(try await Self.say("message \(number)", on: instances.a, in: session).id)
                    if number == 50 { writtenSome.yield(number) }
                }
                return ids
            }
            var signal = written.makeAsyncIterator()
            _ = await signal.next()
            // As a socket does: subscribe, then read the store for what came before.
            let onB = EventRecorder(await instances.b.hub.subscribe(session.id))
            let read = Set(try await instances.b.store.messages(sessionID: session.id, after: 0, limit: 1_000).map(\.id))
            let ids = try await writer.value
            let last = try #require(ids.last)
            if !read.contains(last) { #expect(await onB.waitFor(Self.isMessage(last))) }
            let received = Set(await onB.events.compactMap { if case .message(let message) = $0 { message.id } else { nil } })
            #expect(Set(ids).subtracting(read).subtracting(received).isEmpty, "every message read or received")
        }
    }

    @Test func aBurstOfEventsCrossesInOrderWithEveryRepeatKept() async throws {
        try await TwoInstances.with { instances in
            let session = try await Self.newSession(on: instances.a)
            let onB = EventRecorder(await instances.b.hub.subscribe(session.id))
            // Published faster than one round trip each: they travel in batches, where the same typing event
            // appears more than once (identical NOTIFY payloads in one transaction would arrive once).
            let burst = (0..<300).map { index in HubEvent.typing(sender: .agent, on: index % 3 != 0) }
            for event in burst { instances.a.hub.publish(event, to: session.id) }
            let last = try await Self.say("after the burst", on: instances.a, in: session)
            #expect(await onB.waitFor(Self.isMessage(last.id)))
            let typing = await onB.events.filter { if case .typing = $0 { true } else { false } }
            #expect(typing == burst, "every event, in publication order")

            // Stored events reach b on its own channel, typing on the one every instance hears: b gets them in the
            // order they were sent all the same.
            let before = await onB.events.count
            var sent: [HubEvent] = []
            for index in 0..<20 {
                let typing = HubEvent.typing(sender: .bot, on: index % 2 == 0)
                instances.a.hub.publish(typing, to: session.id)
                sent += [typing, .message(try await Self.say("message \(index)", on: instances.a, in: session))]
            }
            let lastSent = sent.last
            #expect(await onB.waitFor { $0 == lastSent })
            #expect(await Array(onB.events.dropFirst(before)) == sent, "in the order sent, across both channels")
        }
    }

    @Test func aListenerThatDropsSubscribesAgainAndCatchesUp() async throws {
        // This used to hang about one full parallel run in eight while the listener held a pooled connection; it
        // has a connection of its own now, and the deadline turns any new hang into a failure.
        try await TwoInstances.with(limit: .seconds(60)) { instances in
            let session = try await Self.newSession(on: instances.a)
            let onB = EventRecorder(await instances.b.hub.subscribe(session.id))
            let (_, agents) = try await instances.a.store.update(sessionID: session.id, now: Self.now) { update in
                update.append(MessageDraft(sender: .agent, content: MessageContent(text: "to be deleted"), createdAt: Self.now, externalID: "chatwoot:1"))
            }
            instances.a.hub.publish(agents)
            let first = try await Self.say("before the cut", on: instances.a, in: session)
            #expect(await onB.waitFor(Self.isMessage(first.id)))

            #expect(try await instances.cutListeners() >= 1, "b's listener at least")
            // Stored but never announced, like a message whose notification went out while b was not listening:
            // only the catch-up after b subscribes again can bring it. A retraction of a message b's sockets were
            // sent is older than anything a gap makes them read: the catch-up brings it too.
            let (_, stored) = try await instances.a.store.update(sessionID: session.id, now: Self.now) { update in
                update.append(MessageDraft(sender: .agent, content: MessageContent(text: "during the cut"), createdAt: Self.now))
            }
            let deleted = try #require(try await instances.a.store.retract(sessionID: session.id, externalID: "chatwoot:1"))
            let missed = try #require(stored.first)
            #expect(await onB.waitFor(Self.isMessage(missed.id)), "caught up after subscribing again")
            #expect(await onB.waitFor { $0 == .retracted(messageID: deleted.id) }, "the deletion too")

            let after = try await Self.say("after the cut", on: instances.a, in: session)
            #expect(await onB.waitFor(Self.isMessage(after.id)), "live again")
            #expect(instances.b.counter("baton_fanout_resubscribes_total") >= 1, "the drop shows in b's /metrics")
        }
    }

    /// The server ends an instance's idle pooled connections and leaves its listener be (an idle timeout, a proxy
    /// that drops quiet connections): nobody resubscribes, so no catch-up would bring what the next announcement
    /// carries. It goes out again on another connection instead of being lost. (A repeat that reaches an instance
    /// twice is harmless: a socket drops a message it has, and shows typing once.)
    @Test func anAnnouncementWhoseConnectionWasCutGoesOutAgain() async throws {
        try await TwoInstances.with(limit: .seconds(60)) { instances in
            let session = try await Self.newSession(on: instances.a)
            let onB = EventRecorder(await instances.b.hub.subscribe(session.id))
            let first = try await Self.say("before the cut", on: instances.a, in: session)
            #expect(await onB.waitFor(Self.isMessage(first.id)))

            // Typing comes from no write, so its announcement is a statement of its own: the first on a's cut pool.
            #expect(try await instances.cutPool(of: "a") >= 1)
            instances.a.hub.publish(.typing(sender: .agent, on: true), to: session.id)
            #expect(await onB.waitFor { $0 == .typing(sender: .agent, on: true) }, "announced on another connection")
            #expect(instances.a.counter(#"baton_fanout_events_total{outcome="send_failed"}"#) == 0)
        }
    }

    /// A stored message is announced by the transaction that stores it, so an instance that dies between its commit
    /// and publishing the message (here: it never publishes it) still has it reach the sockets on the others,
    /// exactly when it commits. Before, such a message waited there for its session's next event.
    @Test func aStoredMessageReachesTheOtherInstanceEvenWhenItsWriterNeverPublishesIt() async throws {
        try await TwoInstances.with { instances in
            let session = try await Self.newSession(on: instances.a)
            let onB = EventRecorder(await instances.b.hub.subscribe(session.id))
            let (_, stored) = try await instances.a.store.update(sessionID: session.id, now: Self.now) { update in
                update.append(MessageDraft(sender: .agent, content: MessageContent(text: "committed, never published"), createdAt: Self.now))
            }
            let reply = try #require(stored.first)
            #expect(await onB.waitFor(Self.isMessage(reply.id)), "announced at the commit")
            if case .message(let received)? = await onB.events.last { #expect(received == reply, "whole") }
        }
    }

    /// So is the handover phase a write moves to, after the write's messages, as the writer publishes them; and a
    /// write that moves the phase and stores no message announces it alone.
    @Test func aHandoverPhaseReachesTheOtherInstanceEvenWhenItsWriterNeverPublishesIt() async throws {
        try await TwoInstances.with { instances in
            let session = try await Self.newSession(on: instances.a)
            let onB = EventRecorder(await instances.b.hub.subscribe(session.id))
            let opening = HandoverPhase(phase: .opening, number: 1, asOf: 1)
            let (_, stored) = try await instances.a.store.update(sessionID: session.id, now: Self.now) { update in
                update.append(MessageDraft(sender: .user, content: MessageContent(text: "agent"), createdAt: Self.now))
                update.handoverPhase = opening
            }
            let asked = try #require(stored.first)
            #expect(await onB.waitFor { $0 == .handover(opening) }, "announced at the commit")
            #expect(await onB.events == [.message(asked), .handover(opening)], "after the write's message")

            let active = HandoverPhase(phase: .active, number: 1, asOf: 1)
            _ = try await instances.a.store.update(sessionID: session.id, now: Self.now) { update in update.handoverPhase = active }
            #expect(await onB.waitFor { $0 == .handover(active) }, "a phase with no message")
        }
    }

    /// So is a retraction (an agent deleted a reply), now that it is a write of its own: it goes only to the instances
    /// that listen to its session, at the commit.
    @Test func aRetractionReachesTheOtherInstanceEvenWhenItsWriterNeverPublishesIt() async throws {
        try await TwoInstances.with { instances in
            let session = try await Self.newSession(on: instances.a)
            let onB = EventRecorder(await instances.b.hub.subscribe(session.id))
            let (_, stored) = try await instances.a.store.update(sessionID: session.id, now: Self.now) { update in
                update.append(MessageDraft(sender: .agent, content: MessageContent(text: "to be deleted"), createdAt: Self.now, externalID: "chatwoot:9"))
            }
            let reply = try #require(stored.first)
            #expect(await onB.waitFor(Self.isMessage(reply.id)))
            let retracted = try #require(try await instances.a.store.retract(sessionID: session.id, externalID: "chatwoot:9", now: Self.now))
            #expect(await onB.waitFor { $0 == .retracted(messageID: retracted.id) }, "announced at the commit")
            #expect(await onB.events == [.message(reply), .retracted(messageID: reply.id)])
        }
    }

    @Test func aListenerWhoseServerStopsAnsweringReconnectsAndCatchesUp() async throws {
        try await TwoInstances.with(limit: .seconds(60), ping: (interval: .milliseconds(200), timeout: .milliseconds(500))) { instances in
            let session = try await Self.newSession(on: instances.a)
            let onB = EventRecorder(await instances.b.hub.subscribe(session.id))

            let frozen = try await instances.freezeListeners()
            #expect(frozen.count == 2, "both instances' listeners, on connections of their own")
            // Stored but never announced: only a new subscription's catch-up can bring it, and without the pings b
            // would wait on its frozen connection for as long as TCP lets it.
            let (_, stored) = try await instances.a.store.update(sessionID: session.id, now: Self.now) { update in
                update.append(MessageDraft(sender: .agent, content: MessageContent(text: "while frozen"), createdAt: Self.now))
            }
            let missed = try #require(stored.first)
            let caughtUp = await onB.waitFor(Self.isMessage(missed.id))
            try await instances.thaw(frozen)
            #expect(caughtUp, "b noticed the silence, listened again and caught up")

            let after = try await Self.say("after the freeze", on: instances.a, in: session)
            #expect(await onB.waitFor(Self.isMessage(after.id)), "live again")
            #expect(instances.b.counter("baton_fanout_resubscribes_total") >= 1)
        }
    }

    /// Services are logged by their descriptions when they start (ServiceLifecycle, debug level).
    @Test func theFanOutAndItsRelayDescribeThemselvesWithoutThePassword() async throws {
        let database = try await TestDatabase.fresh()
        let password = try #require(database.settings.password?.value)
        let client = PostgresClient(configuration: database.clientConfiguration, backgroundLogger: TwoInstances.logger)
        let store = PostgresSessionStore(client: client, logger: TwoInstances.logger)
        let relay = try database.notifications(on: store)
        let (hub, announcements, listening) = ConversationHub.relayed()
        let fanOut = HubFanOut(hub: hub, announcements: announcements, listening: listening, relay: relay, store: store, logger: TwoInstances.logger)
        for text in [String(describing: relay), String(reflecting: relay), String(describing: fanOut), String(reflecting: fanOut)] {
            #expect(!text.contains(password))
            #expect(text.contains(database.channel))
        }
    }
}
