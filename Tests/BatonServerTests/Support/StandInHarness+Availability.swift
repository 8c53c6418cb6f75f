// Imports the stand-in but not BatonCore (see StandInHarness.swift).
import ChatwootStandIn
import Foundation

extension StandInHarness {
    /// Sets the seeded agent's availability in the account: `online`, `busy` or `offline`.
    func agentIs(_ availability: String) async throws {
        guard let value = AgentAvailability(rawValue: availability) else { throw StandInAPIError.unprocessable("unknown availability \(availability)") }
        try await standIn.setAvailability(user: agentID, account: accountID, value)
    }

    /// Turns the inbox's working hours on, closed every day of the week.
    func closeForTheWeek(_ inbox: Int) async throws {
        try await standIn.setWorkingHours(inbox: inbox, enabled: true, timezone: "Europe/Berlin", rows: (0...6).map(WorkingHour.closed))
    }

    /// How many times the inbox's members were read.
    func memberReads(_ inbox: Int) async -> Int { await answers("GET", pathSuffix: "/inbox_members/\(inbox)").count }
}
