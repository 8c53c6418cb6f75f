import Foundation

// What the stores write for session states and message contents (see `JSONStorable`). Each shape is the one
// the synthesized `Codable` conformance of the type gives.

extension ConversationState: JSONStorable {
    public func write(to writer: inout JSONTextWriter) {
        writer.object { object in
            object.member("agentNotes", array: agentNotes) { $0.value($1) }
            object.member("context", context)
            object.member("flow", flow)
            object.member("handover", handover)
            object.member("profile", profile)
        }
    }

    public init(storageJSON: JSONValue) throws(JSONShapeError) {
        let members = try JSONMembers(storageJSON, of: "ConversationState")
        self.init(
            flow: try FlowState(storageJSON: members.value("flow")), context: try members.value("context"), profile: try members.value("profile"),
            handover: try members.optional("handover").map { json throws(JSONShapeError) in try HandoverState(storageJSON: json) })
        if members.optional("agentNotes") != nil {
            agentNotes = try members.array("agentNotes").map { note throws(JSONShapeError) in
                guard case .string(let text) = note else { throw members.fail("agentNotes", "an array of strings") }
                return text
            }
        }
    }
}

extension FlowState: JSONStorable {
    public func write(to writer: inout JSONTextWriter) {
        writer.object { object in
            object.member("botVisits", botVisits == 0 ? nil : botVisits)
            // An enum case as the synthesized `Codable` writes it: an object with the case's name, its values inside.
            object.member("position", object: { position in
                switch self.position {
                case .idle: position.member("idle", object: { _ in })
                case .awaitingAnswer(let nodeID, let attempts):
                    position.member("awaitingAnswer", object: { fields in
                        fields.member("attempts", attempts)
                        fields.member("nodeID", nodeID)
                    })
                case .inHandover(let nodeID): position.member("inHandover", object: { $0.member("nodeID", nodeID) })
                case .withBot(let visit): position.member("withBot", object: { $0.member("visit", visit) })
                }
            })
        }
    }

    public init(storageJSON: JSONValue) throws(JSONShapeError) {
        let members = try JSONMembers(storageJSON, of: "FlowState")
        guard case .object(let cases) = try members.value("position"), cases.count == 1, let (name, payload) = cases.first else {
            throw members.fail("position", "an object with one case")
        }
        let fields = try JSONMembers(payload, of: "FlowState.Position.\(name)")
        switch name {
        case "idle": self.init(position: .idle)
        case "awaitingAnswer": self.init(position: .awaitingAnswer(nodeID: try fields.string("nodeID"), attempts: try fields.int("attempts")))
        case "inHandover": self.init(position: .inHandover(nodeID: try fields.string("nodeID")))
        case "withBot":
            self.init(position: .withBot(visit: try BotVisit(storageJSON: try fields.value("visit"))))
        default: throw members.fail("position", "idle, awaitingAnswer, inHandover or withBot")
        }
        if members.optional("botVisits") != nil { botVisits = try members.int("botVisits") }
    }
}

extension HandoverState: JSONStorable {
    public func write(to writer: inout JSONTextWriter) {
        writer.object { object in
            object.member("acceptedMessage", acceptedMessage)
            object.member("agentAnswered", agentAnswered)
            object.member("agentAvatar", agentAvatar)
            object.member("agentJoined", agentJoined)
            object.member("agentName", agentName)
            object.member("closeRequested", closeRequested)
            object.member("contactID", contactID)
            object.member("conversationID", conversationID)
            object.member("earlyStatus", object: earlyStatus) { fields, early in
                fields.member("conversationID", early.conversationID)
                fields.member("resolution", early.resolution)
                fields.member("status", early.status.rawValue)
                fields.member("updatedAt", early.updatedAt)
            }
            object.member("ending", object: ending) { fields, ending in
                fields.member("detail", ending.detail)
                fields.member("reason", ending.reason?.rawValue)
                fields.member("resolution", ending.resolution)
                fields.member("resumeAt", ending.resumeAt)
                fields.member("status", ending.status.rawValue)
            }
            object.member("inboxID", inboxID)
            object.member("lastReminderAt", lastReminderAt)
            object.member("nodeID", nodeID)
            object.member("number", number)
            object.member("openedAt", openedAt)
            object.member("openedInDesk", openedInDesk)
            object.member("phase", phase.rawValue)
            object.member("reconciledThrough", reconciledThrough)
            object.member("remindersSent", remindersSent)
            object.member("reopenedByUserMessageAt", reopenedByUserMessageAt)
            object.member("resolution", resolution)
            object.member("statusUpdatedAt", statusUpdatedAt)
            object.member("syncedThrough", syncedThrough)
            object.member("timers", object: timers) { fields, timers in
                fields.member("agentInactivity", timers.agentInactivity)
                fields.member("reminderEvery", timers.reminderEvery)
                fields.member("reminderTimes", timers.reminderTimes)
                fields.member("userInactivity", timers.userInactivity)
            }
            object.member("trigger", object: trigger) { fields, trigger in
                fields.member("kind", trigger.kind.rawValue)
                fields.member("name", trigger.name)
            }
            object.member("userWroteAt", userWroteAt)
            object.member("waitingSince", waitingSince)
        }
    }

    public init(storageJSON: JSONValue) throws(JSONShapeError) {
        let members = try JSONMembers(storageJSON, of: "HandoverState")
        self.init(
            phase: try members.raw("phase", as: Phase.self), nodeID: try members.string("nodeID"), number: try members.int("number"),
            inboxID: try members.optionalInt("inboxID"), contactID: try members.optionalInt("contactID"),
            conversationID: try members.optionalInt("conversationID"), syncedThrough: try members.int64("syncedThrough"),
            statusUpdatedAt: try members.optionalDouble("statusUpdatedAt"),
            acceptedMessage: try members.optional("acceptedMessage").map { json throws(JSONShapeError) in try MessageContent(storageJSON: json) })
        reconciledThrough = try members.optionalInt64("reconciledThrough")
        if let early = members.optional("earlyStatus") {
            let fields = try JSONMembers(early, of: "HandoverState.EarlyStatus")
            earlyStatus = EarlyStatus(
                status: try fields.raw("status", as: ProviderStatus.self), conversationID: try fields.int("conversationID"),
                updatedAt: try fields.optionalDouble("updatedAt"),
                resolution: try fields.optional("resolution").map { json throws(JSONShapeError) in try ResolutionDetails(storageJSON: json) })
        }
        openedInDesk = try members.optionalBool("openedInDesk")
        if let trigger = members.optional("trigger") {
            let fields = try JSONMembers(trigger, of: "HandoverTrigger")
            self.trigger = HandoverTrigger(kind: try fields.raw("kind", as: HandoverTrigger.Kind.self), name: try fields.optionalString("name"))
        }
        agentJoined = try members.optionalBool("agentJoined")
        agentName = try members.optionalString("agentName")
        agentAvatar = try members.optionalString("agentAvatar")
        if let ending = members.optional("ending") {
            let fields = try JSONMembers(ending, of: "HandoverOutcome")
            self.ending = HandoverOutcome(
                status: try fields.raw("status", as: HandoverOutcome.Status.self), reason: try fields.optionalRaw("reason", as: HandoverOutcome.Reason.self),
                detail: try fields.optionalString("detail"), resumeAt: try fields.optionalString("resumeAt"),
                resolution: try fields.optional("resolution").map { json throws(JSONShapeError) in try ResolutionDetails(storageJSON: json) })
        }
        if let timers = members.optional("timers") {
            let fields = try JSONMembers(timers, of: "HandoverTimers")
            self.timers = HandoverTimers(
                userInactivity: try fields.optionalDouble("userInactivity"), agentInactivity: try fields.optionalDouble("agentInactivity"),
                reminderEvery: try fields.optionalDouble("reminderEvery"), reminderTimes: try fields.optionalInt("reminderTimes"))
        }
        openedAt = try members.optionalDate("openedAt")
        userWroteAt = try members.optionalDate("userWroteAt")
        waitingSince = try members.optionalDate("waitingSince")
        agentAnswered = try members.optionalBool("agentAnswered")
        remindersSent = try members.optionalInt("remindersSent")
        lastReminderAt = try members.optionalDate("lastReminderAt")
        resolution = try members.optional("resolution").map { json throws(JSONShapeError) in try ResolutionDetails(storageJSON: json) }
        reopenedByUserMessageAt = try members.optionalDouble("reopenedByUserMessageAt")
        closeRequested = try members.optionalBool("closeRequested")
    }
}

extension ResolutionDetails: JSONStorable {
    public func write(to writer: inout JSONTextWriter) {
        writer.object { object in
            object.member("attributes", attributes)
            object.member("labels", array: labels) { $0.value($1) }
        }
    }

    public init(storageJSON: JSONValue) throws(JSONShapeError) {
        let fields = try JSONMembers(storageJSON, of: "ResolutionDetails")
        let labels = try fields.array("labels").map { label throws(JSONShapeError) -> String in
            guard case .string(let text) = label else { throw fields.fail("labels", "strings") }
            return text
        }
        self.init(labels: labels, attributes: try fields.value("attributes"))
    }
}

extension MessageContent: JSONStorable {
    public func write(to writer: inout JSONTextWriter) {
        writer.object { object in
            object.member("attachments", array: attachments) { $0.value($1) }
            object.member("cards", array: cards) { $0.value($1) }
            object.member("data", data)
            object.member("quickReplies", array: quickReplies) { $0.value($1) }
            object.member("text", text)
        }
    }

    public init(storageJSON: JSONValue) throws(JSONShapeError) {
        let members = try JSONMembers(storageJSON, of: "MessageContent")
        self.init(
            text: try members.string("text"), quickReplies: try members.array("quickReplies").map { item throws(JSONShapeError) in try QuickReply(storageJSON: item) },
            attachments: try members.array("attachments").map { item throws(JSONShapeError) in try Attachment(storageJSON: item) },
            data: members.optional("data"),
            cards: members.optional("cards") == nil ? nil : try members.array("cards").map { item throws(JSONShapeError) in try Card(storageJSON: item) })
    }
}

/// A message's parts are written as `Codable` writes them: in the stored text, and in the webchat's frames.
extension Attachment: JSONStorable {
    public func write(to writer: inout JSONTextWriter) {
        writer.object { fields in
            fields.member("fileID", fileID)
            fields.member("kind", kind.rawValue)
            fields.member("mimeType", mimeType)
            fields.member("name", name)
            fields.member("size", size)
            fields.member("url", url)
        }
    }

    public init(storageJSON: JSONValue) throws(JSONShapeError) {
        let fields = try JSONMembers(storageJSON, of: "Attachment")
        self.init(
            kind: try fields.raw("kind", as: AttachmentKind.self), url: try fields.string("url"), name: try fields.optionalString("name"),
            mimeType: try fields.optionalString("mimeType"), fileID: try fields.optionalString("fileID"), size: try fields.optionalInt("size"))
    }
}

extension QuickReply: JSONStorable {
    public func write(to writer: inout JSONTextWriter) {
        writer.object { fields in
            fields.member("payload", payload)
            fields.member("title", title)
        }
    }

    public init(storageJSON: JSONValue) throws(JSONShapeError) {
        let fields = try JSONMembers(storageJSON, of: "QuickReply")
        self.init(title: try fields.string("title"), payload: try fields.string("payload"))
    }
}

extension Card: JSONStorable {
    public func write(to writer: inout JSONTextWriter) {
        writer.object { fields in
            fields.member("buttons", array: buttons) { $0.value($1) }
            fields.member("imageUrl", imageURL)
            fields.member("subtitle", subtitle)
            fields.member("title", title)
        }
    }

    public init(storageJSON: JSONValue) throws(JSONShapeError) {
        let fields = try JSONMembers(storageJSON, of: "Card")
        self.init(
            title: try fields.optionalString("title"), subtitle: try fields.optionalString("subtitle"), imageURL: try fields.optionalString("imageUrl"),
            buttons: try fields.array("buttons").map { item throws(JSONShapeError) in try CardButton(storageJSON: item) })
    }
}

extension CardButton: JSONStorable {
    public func write(to writer: inout JSONTextWriter) {
        writer.object { fields in
            fields.member("payload", payload)
            fields.member("title", title)
            fields.member("url", url)
        }
    }

    public init(storageJSON: JSONValue) throws(JSONShapeError) {
        let fields = try JSONMembers(storageJSON, of: "CardButton")
        self.init(title: try fields.string("title"), url: try fields.optionalString("url"), payload: try fields.optionalString("payload"))
    }
}

extension BotVisit: JSONStorable {
    public func write(to writer: inout JSONTextWriter) {
        writer.object { object in
            object.member("answered", answered)
            object.member("asked", asked)
            object.member("nodeID", nodeID)
            object.member("visit", visit)
            object.member("waiting", array: waiting.isEmpty ? nil : waiting) { $0.value($1) }
        }
    }

    public init(storageJSON: JSONValue) throws(JSONShapeError) {
        let members = try JSONMembers(storageJSON, of: "BotVisit")
        self.init(nodeID: try members.string("nodeID"), visit: try members.int("visit"), asked: try members.int("asked"), answered: try members.int("answered"))
        if members.optional("waiting") != nil {
            waiting = try members.array("waiting").map { input throws(JSONShapeError) in try BotInput(storageJSON: input) }
        }
    }
}

extension BotInput: JSONStorable {
    public func write(to writer: inout JSONTextWriter) {
        writer.object { object in
            object.member("messageID", messageID)
            object.member("payload", payload)
            object.member("text", text)
        }
    }

    public init(storageJSON: JSONValue) throws(JSONShapeError) {
        let members = try JSONMembers(storageJSON, of: "BotInput")
        self.init(text: try members.string("text"), payload: try members.optionalString("payload"), messageID: try members.optionalInt64("messageID"))
    }
}

/// The stores keep a message in columns; whole, as JSON, it travels in the hub's announcements between instances.
extension Message: JSONStorable {
    public func write(to writer: inout JSONTextWriter) {
        writer.object { object in
            object.member("agentName", agentName)
            object.member("clientMessageID", clientMessageID)
            object.member("content", content)
            object.member("createdAt", createdAt)
            object.member("externalID", externalID)
            object.member("externalOrder", externalOrder)
            object.member("id", id)
            object.member("movedFrom", movedFrom)
            object.member("movedTo", movedTo)
            object.member("retracted", retracted)
            object.member("sender", sender.rawValue)
            object.member("sessionID", sessionID.rawValue)
        }
    }

    public init(storageJSON: JSONValue) throws(JSONShapeError) {
        let members = try JSONMembers(storageJSON, of: "Message")
        let draft = MessageDraft(
            sender: try members.raw("sender", as: Sender.self), content: try MessageContent(storageJSON: try members.value("content")),
            createdAt: try members.date("createdAt"), clientMessageID: try members.optionalString("clientMessageID"),
            agentName: try members.optionalString("agentName"), externalID: try members.optionalString("externalID"),
            externalOrder: try members.optionalInt64("externalOrder"))
        self.init(
            id: try members.int64("id"), sessionID: SessionID(rawValue: try members.string("sessionID")), draft: draft,
            retracted: try members.bool("retracted"), movedTo: try members.optionalInt64("movedTo"), movedFrom: try members.optionalInt64("movedFrom"))
    }
}
