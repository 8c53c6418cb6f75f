import BatonConfig
import BatonCore
import Foundation
import Logging
import NIOCore

/// The Chatwoot desk of one endpoint: handovers to a Chatwoot API-channel inbox. Opens a contact and conversation,
/// posts the transcript (user turns as `incoming`, bot turns as `outgoing` from the agent bot), and resolves the
/// conversation when the user leaves. What Chatwoot reports back arrives at `ChatwootWebhookController`.
struct ChatwootDesk: Desk {
    /// The endpoint this desk serves, and its name (a new contact's name when the user gave none).
    let endpointID: String
    let endpointName: String
    let settings: ChatwootSettings
    let client: ChatwootClient
    let bot: AgentBotKeeper
    let store: any SessionStore
    /// Whether anyone is there, for nodes that ask (`whenUnavailable`).
    let availability: ChatwootAvailability
    /// The config's inbox, for nodes that name none.
    let configuredInbox: ConfiguredInbox
    let logger: Logger

    /// The key under which a conversation is linked to its session.
    static func conversationKey(accountID: Int, conversationID: Int) -> String {
        "chatwoot:\(accountID):\(conversationID)"
    }

    func open(_ request: HandoverRequest, number: Int, session: Session, attempt: Int) async -> JobOutcome {
        let given = request.inbox.map(Self.inboxID)
        if case .some(nil) = given {
            return Self.failedToOpen(number, reason: .invalidInbox, detail: "the inbox expression gave '\(request.inbox?.displayText ?? "nothing")', not an inbox id")
        }
        do {
            // The node's own inbox, else the config's.
            let chosen: Int? = if let given { given } else { try await configuredInbox.id() }
            guard let inboxID = chosen else {
                let detail = configuredInbox.choice.map { "no inbox is named '\($0)' (run `baton chatwoot setup`)" } ?? "the handover node names no inboxId, and handover.chatwoot.inbox names none"
                return Self.failedToOpen(number, reason: .invalidInbox, detail: detail)
            }
            // Read once per `availabilityCacheSeconds`, not for every handover: an inbox's type does not change.
            let inbox = try await availability.inbox(inboxID, known: nil)
            guard inbox.channelType == "Channel::Api" else {
                return Self.failedToOpen(number, reason: .invalidInbox, detail: "inbox \(inboxID) is a \(inbox.channelType ?? "non-API") inbox; Baton needs an API-channel inbox")
            }
            var unavailable: HandoverOutcome.Reason?
            if let choice = request.whenUnavailable {
                unavailable = try await availability.problem(inboxID: inboxID, known: inbox)
                if let unavailable, choice == .skip { return Self.unavailable(number, unavailable, inboxID: inboxID) }
            }
            let routing: ChatwootRouting
            switch try await ChatwootRouting.check(request.routing, client: client) {
            case .failure(let problem): return problem.report(handover: number, session: session, logger: logger)
            case .success(let checked): routing = checked
            }
            do {
                _ = try await bot.accessToken()
            } catch {
                // Bot turns then go out under the user token; the handover itself can still work.
                logger.warning("the Chatwoot agent bot is not available", metadata: ["endpoint": "\(endpointID)", "error": "\(error)"])
            }
            let sourceID = ChatwootIdentity.conversationSourceID(sessionID: session.id.rawValue)
            let contactID = try await contact(for: session, inboxID: inboxID, sourceID: sourceID)
            // An earlier attempt may have created the conversation and lost the answer: use that one.
            let existing = attempt > 1 ? try await client.conversations(contactID: contactID).first { Self.isConversation($0, of: session, number: number) } : nil
            let conversation: ChatwootConversation
            if let existing {
                conversation = existing
            } else {
                let attributes = routing.attributes.merging(customAttributes(session, number: number)) { _, baton in baton }
                conversation = try await client.createConversation(
                    NewConversation(sourceID: sourceID, inboxID: inboxID, contactID: contactID, customAttributes: attributes))
            }
            // The attributes went in with the conversation; the rest is harmless to repeat on a retry.
            try await routing.apply(to: conversation.id, client: client, currentAttributes: nil)
            try await store.link(
                endpointID: endpointID, conversationKey: Self.conversationKey(accountID: settings.accountID, conversationID: conversation.id), to: session.id)
            logger.info("handover opened", metadata: ["endpoint": "\(endpointID)", "session": "\(session.id)", "conversation": "\(conversation.id)", "inbox": "\(inboxID)"])
            let position = await availability.queuePosition(for: request, inboxID: inboxID)
            return .reported(
                .opened(number: number, contactID: contactID, conversationID: conversation.id, inboxID: inboxID, unavailable: unavailable, queuePosition: position))
        } catch let error as ChatwootError where error.mayHaveArrived {
            logger.warning("Chatwoot did not answer in time while opening", metadata: ["session": "\(session.id)", "error": "\(error)"])
            return .unsettled(error.description, settle: settleTime(after: error))
        } catch let error as ChatwootError {
            if error.isTransient || error.kind == .invalidResponse {
                logger.warning("Chatwoot cannot open the handover now", metadata: ["session": "\(session.id)", "error": "\(error)"])
                return .retry(error.description)
            }
            logger.error("Chatwoot refused the handover", metadata: ["session": "\(session.id)", "error": "\(error)"])
            return .reported(.failedToOpen(number: number, Self.outcome(for: error)))
        } catch {
            return .retry(String(describing: error))
        }
    }

    /// Answers the survey as the contact would on its page. Chatwoot keeps one answer per survey and updates it in
    /// place, so a retry is harmless; a survey that is gone or older than 14 days (404, 422) is given up.
    func answerSurvey(_ answer: SurveyAnswer, session: Session, attempt: Int) async -> JobOutcome {
        await .chatwoot(givingUpOn: [.notFound, .unprocessable]) {
            try await client.answerSurvey(conversationUUID: answer.conversationUUID, rating: answer.rating, feedback: answer.feedback)
            logger.info("survey answered", metadata: ["session": "\(session.id)", "rating": "\(answer.rating)"])
        }
    }

    /// The agent's choice (`baton_resume_at`) is cleared, so the attribute can hand back again; the conversation
    /// stays as the agent left it (resolving it would send the survey the hand-back is meant to avoid).
    func release(conversationID: Int, session: Session, attempt: Int) async -> JobOutcome {
        await .chatwoot(givingUpOn: [.notFound]) { try await client.removeCustomAttribute(HandBack.attribute, conversationID: conversationID) }
    }

    /// Nobody can answer and the node said `skip`: nothing is opened, and the flow hears why.
    static func unavailable(_ number: Int, _ reason: HandoverOutcome.Reason, inboxID: Int) -> JobOutcome {
        let detail = reason == .outsideBusinessHours ? "inbox \(inboxID) is outside its working hours" : "no member of inbox \(inboxID) is online"
        return .reported(.failedToOpen(number: number, HandoverOutcome(status: .unavailable, reason: reason, detail: detail)))
    }

    /// Whether a conversation is the one Baton opened for handover `number` of the session.
    static func isConversation(_ conversation: ChatwootConversation, of session: Session, number: Int) -> Bool {
        guard case .object(let attributes)? = conversation.customAttributes else { return false }
        return attributes["baton_session"] == .string(session.id.rawValue) && attributes["baton_handover"]?.displayText == String(number)
    }

    /// The user's contact: found by its stable identifier, else created with its contact inbox.
    func contact(for session: Session, inboxID: Int, sourceID: String) async throws -> Int {
        let identifier = ChatwootIdentity.contactIdentifier(endpointID: endpointID, userID: session.userID)
        if let found = try await client.searchContacts(identifier).first(where: { $0.identifier == identifier }) {
            try await client.createContactInbox(contactID: found.id, inboxID: inboxID, sourceID: sourceID)
            return found.id
        }
        let profile = session.state.profile
        let name = profile["name"].map(\.displayText).flatMap { $0.isEmpty ? nil : $0 } ?? "\(endpointName) visitor"
        let email = profile["email"].map(\.displayText).flatMap { $0.contains("@") ? $0 : nil }
        let contact = NewContact(name: name, identifier: identifier, email: email, inboxID: inboxID, sourceID: sourceID)
        return try await client.createContact(contact).id
    }

    func customAttributes(_ session: Session, number: Int) -> [String: JSONValue] {
        var attributes: [String: JSONValue] = [
            "baton_session": .string(session.id.rawValue), "baton_endpoint": .string(endpointID), "baton_handover": .number(Double(number)),
        ]
        for field in settings.profileAttributes {
            guard let value = session.state.profile[field], value != .null else { continue }
            // Chatwoot keeps attribute strings up to 1,500 characters and refuses nested values.
            switch value {
            case .string(let text): attributes[field] = .string(String(text.prefix(1_500)))
            case .number, .bool: attributes[field] = value
            case .array, .object, .null: attributes[field] = .string(String(value.jsonText.prefix(1_500)))
            }
        }
        return attributes
    }

    /// How long a call that got no answer is given to finish before a retry looks for what it made: twice the
    /// request timeout while Chatwoot may still be working on it, nothing (the usual backoff) once it closed the
    /// connection, so recovery from an outage that drops connections starts within a second.
    func settleTime(after error: ChatwootError) -> Duration {
        error.mayStillBeProcessed ? Duration(client.timeout) * 2 : .zero
    }

    static func failedToOpen(_ number: Int, reason: HandoverOutcome.Reason, detail: String) -> JobOutcome {
        .reported(.failedToOpen(number: number, HandoverOutcome(status: .error, reason: reason, detail: detail)))
    }

    static func inboxID(_ value: JSONValue?) -> Int? {
        switch value {
        case .number(let number)?: number == number.rounded() && number > 0 ? Int(number) : nil
        case .string(let text)?: Int(text.trimmingCharacters(in: .whitespaces)).flatMap { $0 > 0 ? $0 : nil }
        default: nil
        }
    }

    static func outcome(for error: ChatwootError) -> HandoverOutcome {
        let reason: HandoverOutcome.Reason =
            switch error.kind {
            case .unauthorized: .rejectedCredentials
            case .notFound: .invalidInbox
            case .unprocessable, .rateLimited: .rejected
            case .server, .unreachable, .invalidResponse: .providerUnreachable
            }
        return HandoverOutcome(status: .error, reason: reason, detail: error.description)
    }
}
