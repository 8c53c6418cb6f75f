import BatonCore
import Foundation
import Testing

/// What the metrics count, read off each step's change: openings, endings by kind, durations and the wait for the
/// agents' first reply, with or without the handover's timers.
@Suite struct HandoverMeasuresTests {
    static let start = Date(timeIntervalSince1970: 1_750_000_000)

    static func machine(at seconds: TimeInterval, timers: HandoverTimers? = nil) -> ConversationMachine {
        ConversationMachine(
            bot: HandoverOnlyBot(), session: SessionFacts(sessionID: "s_1", endpointID: "support", userID: "crm-1", channel: "api"),
            now: start.addingTimeInterval(seconds), policy: timers.map { HandoverPolicy(timers: $0) } ?? HandoverPolicy())
    }

    static let request = HandoverRequest(nodeID: "", provider: "chatwoot", inbox: 7, acceptedMessage: nil)

    /// `before` → `after` at `seconds`.
    static func measures(_ before: ConversationState, _ after: ConversationState, at seconds: TimeInterval) -> HandoverMeasures {
        HandoverMeasures(from: before.handover, to: after.handover, at: start.addingTimeInterval(seconds))
    }

    @Test(arguments: [nil, HandoverTimers(userInactivity: 600)])
    func aHandoverIsCountedWhenItOpensAndEndsAndItsWaitsAreMeasured(timers: HandoverTimers?) {
        let asked = Self.machine(at: 0, timers: timers).openHandover(Self.request, transcript: [], profile: [:], state: ConversationState()).state
        #expect(Self.measures(ConversationState(), asked, at: 0).isEmpty, "asked for, not open yet")
        let opened = Self.machine(at: 2, timers: timers).handle(.opened(number: 1, contactID: 3, conversationID: 22, inboxID: 7), state: asked).state
        let opening = Self.measures(asked, opened, at: 2)
        #expect(opening.opened && opening.ending == nil && opening.inboxID == 7)

        var answered = opened
        answered.handover?.agentWrote(at: Self.start.addingTimeInterval(47))
        #expect(Self.measures(opened, answered, at: 47).firstReplyWait == 45, "from the opening to the first reply")
        var again = answered
        again.handover?.agentWrote(at: Self.start.addingTimeInterval(60))
        #expect(Self.measures(answered, again, at: 60).isEmpty, "only the first reply is measured")

        let resolved = Self.machine(at: 302, timers: timers).handle(.providerStatus(.resolved, conversationID: 22, updatedAt: nil), state: again).state
        let ending = Self.measures(again, resolved, at: 302)
        #expect(ending.ending == .completed && ending.duration == 300)

        let reopened = Self.machine(at: 400, timers: timers).handle(.providerStatus(.open, conversationID: 22, updatedAt: nil), state: resolved).state
        let reopening = Self.measures(resolved, reopened, at: 400)
        #expect(reopening.reopened && reopening.firstReplyWait == nil && reopening.ending == nil)
    }

    @Test func cancelledFailedAndInactiveAreEndingsOfTheirOwn() {
        let asked = Self.machine(at: 0).openHandover(Self.request, transcript: [], profile: [:], state: ConversationState()).state
        let opened = Self.machine(at: 1).handle(.opened(number: 1, contactID: 3, conversationID: 22, inboxID: 7), state: asked).state

        let cancelled = Self.machine(at: 31).closeHandover(state: opened).state
        #expect(Self.measures(opened, cancelled, at: 31).ending == .cancelled)
        #expect(Self.measures(opened, cancelled, at: 31).duration == 30)

        let failed = Self.machine(at: 5).handle(.failedToOpen(number: 1, HandoverOutcome(status: .error, reason: .invalidInbox)), state: asked).state
        let failing = Self.measures(asked, failed, at: 5)
        #expect(failing.ending == .failed && failing.duration == nil, "it never opened")

        var inactive = opened
        inactive.handover?.phase = .inactive
        #expect(Self.measures(opened, inactive, at: 901).ending == .inactive)
    }
}
