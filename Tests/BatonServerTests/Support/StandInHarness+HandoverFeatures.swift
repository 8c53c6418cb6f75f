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

extension StandInHarness {
    /// Turns the inbox's satisfaction survey on (sent when a conversation is resolved).
    func enableSurvey(_ inbox: Int, message: String? = nil, displayType: String = "emoji") async throws {
        try await standIn.setCsatSurvey(inbox: inbox, enabled: true, message: message, displayType: displayType)
    }

    /// Waits until the account has `count` survey responses; returns them, oldest first.
    func waitForSurveyResponses(_ count: Int) async throws -> [(conversation: Int, rating: Int, feedback: String?)] {
        try await standIn.waitUntil(timeout: .seconds(10), "\(count) survey responses") { snapshot in
            let responses = snapshot.csatSurveyResponses.filter { $0.accountId == accountID }
            return responses.count >= count ? responses.map { ($0.conversationDisplayId, $0.rating, $0.feedbackMessage) } : nil
        }
    }

    /// How many survey messages (`input_csat`) the conversation holds.
    func surveys(in conversation: Int) async -> Int {
        await standIn.messages(ref(conversation)).filter { $0.contentType == "input_csat" }.count
    }
}

extension StandInHarness {
    /// Waits until a survey response carries `feedback`.
    func waitUntilSurveyFeedback(_ feedback: String) async throws {
        _ = try await standIn.waitUntil(timeout: .seconds(10), "survey feedback \(feedback)") { snapshot in
            snapshot.csatSurveyResponses.contains { $0.feedbackMessage == feedback } ? true : nil
        }
    }

    /// Waits until Chatwoot has sent the conversation's survey.
    func waitUntilSurveySent(in conversation: Int) async throws {
        let target = ref(conversation)
        _ = try await standIn.waitUntil(timeout: .seconds(10), "a survey in conversation \(conversation)") { snapshot in
            snapshot.messages.contains { $0.conversation == target && $0.contentType == "input_csat" } ? true : nil
        }
    }
}

extension StandInHarness {
    /// The agent gives the user back to the bot at `node`, as documented: the conversation attribute `baton_resume_at`.
    func handBack(_ conversation: Int, at node: String) async throws {
        let current = await standIn.conversation(ref(conversation))?.customAttributes ?? .object([])
        guard case .object(var members) = current else { return }
        members.removeAll { $0.0 == "baton_resume_at" }
        members.append(("baton_resume_at", .string(node)))
        try await standIn.agent(agentID).setCustomAttributes(ref(conversation), .object(members))
    }
}

extension StandInHarness {
    /// The agent sets the conversation's labels.
    func label(_ conversation: Int, _ labels: [String]) async throws { try await standIn.agent(agentID).setLabels(ref(conversation), labels) }

    /// The agent labels the conversation, adds custom attributes to it (keeping the others) and resolves it.
    func agentEnds(_ conversation: Int, labels: [String], attributes: [String: String]) async throws {
        let agent = standIn.agent(agentID)
        try await label(conversation, labels)
        guard case .object(var members) = await standIn.conversation(ref(conversation))?.customAttributes ?? .object([]) else { return }
        members += attributes.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }
        try await agent.setCustomAttributes(ref(conversation), .object(members))
        try await agent.resolve(ref(conversation))
    }
}

extension StandInHarness {
    /// Waits until the conversation no longer has the custom attribute `key`.
    func waitUntilAttributeRemoved(_ key: String, of conversation: Int) async throws {
        let target = ref(conversation)
        _ = try await standIn.waitUntil(timeout: .seconds(10), "\(key) to be removed from conversation \(conversation)") { snapshot in
            snapshot.conversation(target).flatMap { $0.customAttributes[key] == nil ? true : nil }
        }
    }
}
