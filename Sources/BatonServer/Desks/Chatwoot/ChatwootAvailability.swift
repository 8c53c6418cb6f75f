import BatonCore
import Foundation
import Synchronization

/// What Baton reads of a Chatwoot inbox before a handover (its type; inside its working hours, a member online), and
/// where a new conversation stands in its queue. Chatwoot
/// announces neither (presence travels over its dashboard's ActionCable only), so both are read through the API
/// and kept for `lifetime`: at most two calls per inbox per lifetime, however many users hand over.
final class ChatwootAvailability: Sendable {
    let client: ChatwootClient
    let lifetime: TimeInterval
    /// Whether an agent whose status is `busy` counts as there.
    let busyIsAvailable: Bool
    let now: @Sendable () -> Date
    private let inboxes = Mutex<[Int: (read: Date, inbox: ChatwootInbox)]>([:])
    private let members = Mutex<[Int: (read: Date, available: Bool)]>([:])

    init(client: ChatwootClient, lifetime: TimeInterval, busyIsAvailable: Bool, now: @escaping @Sendable () -> Date = Date.init) {
        self.client = client
        self.lifetime = lifetime
        self.busyIsAvailable = busyIsAvailable
        self.now = now
    }

    /// Why the inbox cannot take a handover now (outside its working hours first), or `nil` when it can.
    /// `known` is the inbox when the caller has just read it.
    func problem(inboxID: Int, known: ChatwootInbox? = nil) async throws -> HandoverOutcome.Reason? {
        let inbox = try await self.inbox(inboxID, known: known)
        if inbox.isOutOfOffice(at: now()) { return .outsideBusinessHours }
        return try await anyMemberAvailable(inboxID) ? nil : .noAgentOnline
    }

    func inbox(_ id: Int, known: ChatwootInbox?) async throws -> ChatwootInbox {
        let time = now()
        if let known {
            inboxes.withLock { $0[id] = (time, known) }
            return known
        }
        if let cached = inboxes.withLock({ $0[id] }), time.timeIntervalSince(cached.read) < lifetime { return cached.inbox }
        let inbox = try await client.inbox(id: id)
        inboxes.withLock { $0[id] = (time, inbox) }
        return inbox
    }

    func anyMemberAvailable(_ inboxID: Int) async throws -> Bool {
        let time = now()
        if let cached = members.withLock({ $0[inboxID] }), time.timeIntervalSince(cached.read) < lifetime { return cached.available }
        let statuses = try await client.inboxMembers(inboxID: inboxID).compactMap(\.availabilityStatus)
        let available = statuses.contains("online") || (busyIsAvailable && statuses.contains("busy"))
        members.withLock { $0[inboxID] = (time, available) }
        return available
    }

    /// The user's place in the inbox's queue right after their conversation opened: the open conversations without
    /// an assignee, theirs (the newest, since Chatwoot assigns oldest first) included. `nil` when the node did not
    /// ask, when it names an agent (the user is nobody's queue then), or when Chatwoot cannot tell now: the handover
    /// does not wait on it.
    func queuePosition(for request: HandoverRequest, inboxID: Int) async -> Int? {
        guard request.announcePosition == true, request.routing?.assignee == nil,
            let count = try? await client.waitingConversations(inboxID: inboxID), count >= 1
        else { return nil }
        return count
    }
}
