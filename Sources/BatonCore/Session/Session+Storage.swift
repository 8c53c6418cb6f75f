import Foundation

// What the stores write for session states and message contents (see `JSONStorable`). Each shape is the one
// the synthesized `Codable` conformance of the type gives.

extension ConversationState: JSONStorable {
    public var storageJSON: JSONValue {
        var object = JSONObjectBuilder()
        object["flow"] = flow.storageJSON
        object["context"] = context
        object["profile"] = profile
        object["handover"] = handover?.storageJSON
        object["agentNotes"] = agentNotes.map { .array($0.map(JSONValue.string)) }
        return object.value
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
    public var storageJSON: JSONValue {
        let position: JSONValue =
            switch self.position {
            case .idle: .object(["idle": .emptyObject])
            case .awaitingAnswer(let nodeID, let attempts): .object(["awaitingAnswer": .object(["nodeID": .string(nodeID), "attempts": attempts.json])])
            case .inHandover(let nodeID): .object(["inHandover": .object(["nodeID": .string(nodeID)])])
            case .withBot(let visit): .object(["withBot": .object(["visit": visit.storageJSON])])
            }
        var object = JSONObjectBuilder()
        object["position"] = position
        object["botVisits"] = botVisits == 0 ? nil : botVisits.json
        return object.value
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
    public var storageJSON: JSONValue {
        var object = JSONObjectBuilder()
        object["phase"] = .string(phase.rawValue)
        object["nodeID"] = .string(nodeID)
        object["number"] = number.json
        object["inboxID"] = inboxID?.json
        object["contactID"] = contactID?.json
        object["conversationID"] = conversationID?.json
        object["syncedThrough"] = syncedThrough.json
        object["statusUpdatedAt"] = statusUpdatedAt.map(JSONValue.number)
        object["acceptedMessage"] = acceptedMessage?.storageJSON
        object["reconciledThrough"] = reconciledThrough?.json
        object["earlyStatus"] = earlyStatus.map { early in
            var status = JSONObjectBuilder()
            status["status"] = .string(early.status.rawValue)
            status["conversationID"] = early.conversationID.json
            status["updatedAt"] = early.updatedAt.map(JSONValue.number)
            return status.value
        }
        object["openedInDesk"] = openedInDesk.map(JSONValue.bool)
        object["trigger"] = trigger.map { trigger in
            var fields = JSONObjectBuilder()
            fields["kind"] = .string(trigger.kind.rawValue)
            fields["name"] = trigger.name.map(JSONValue.string)
            return fields.value
        }
        object["agentJoined"] = agentJoined.map(JSONValue.bool)
        object["agentName"] = agentName.map(JSONValue.string)
        object["timers"] = timers.map { timers in
            var fields = JSONObjectBuilder()
            fields["userInactivity"] = timers.userInactivity.map(JSONValue.number)
            fields["agentInactivity"] = timers.agentInactivity.map(JSONValue.number)
            fields["reminderEvery"] = timers.reminderEvery.map(JSONValue.number)
            fields["reminderTimes"] = timers.reminderTimes?.json
            return fields.value
        }
        object["openedAt"] = openedAt?.storageJSON
        object["userWroteAt"] = userWroteAt?.storageJSON
        object["waitingSince"] = waitingSince?.storageJSON
        object["agentAnswered"] = agentAnswered.map(JSONValue.bool)
        object["remindersSent"] = remindersSent?.json
        object["lastReminderAt"] = lastReminderAt?.storageJSON
        return object.value
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
                updatedAt: try fields.optionalDouble("updatedAt"))
        }
        openedInDesk = try members.optionalBool("openedInDesk")
        if let trigger = members.optional("trigger") {
            let fields = try JSONMembers(trigger, of: "HandoverTrigger")
            self.trigger = HandoverTrigger(kind: try fields.raw("kind", as: HandoverTrigger.Kind.self), name: try fields.optionalString("name"))
        }
        agentJoined = try members.optionalBool("agentJoined")
        agentName = try members.optionalString("agentName")
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
    }
}

extension Date {
    /// As `Codable` writes a date by default: seconds since 2001-01-01.
    var storageJSON: JSONValue { .number(timeIntervalSinceReferenceDate) }
}

extension MessageContent: JSONStorable {
    public var storageJSON: JSONValue {
        var object = JSONObjectBuilder()
        object["text"] = .string(text)
        object["quickReplies"] = .array(quickReplies.map { .object(["title": .string($0.title), "payload": .string($0.payload)]) })
        object["attachments"] = .array(
            attachments.map { attachment in
                var fields = JSONObjectBuilder()
                fields["kind"] = .string(attachment.kind.rawValue)
                fields["url"] = .string(attachment.url)
                fields["name"] = attachment.name.json
                fields["mimeType"] = attachment.mimeType.json
                fields["fileID"] = attachment.fileID.json
                fields["size"] = attachment.size?.json
                return fields.value
            })
        object["data"] = data
        return object.value
    }

    public init(storageJSON: JSONValue) throws(JSONShapeError) {
        let members = try JSONMembers(storageJSON, of: "MessageContent")
        var quickReplies: [QuickReply] = []
        for item in try members.array("quickReplies") {
            let fields = try JSONMembers(item, of: "QuickReply")
            quickReplies.append(QuickReply(title: try fields.string("title"), payload: try fields.string("payload")))
        }
        var attachments: [Attachment] = []
        for item in try members.array("attachments") {
            let fields = try JSONMembers(item, of: "Attachment")
            attachments.append(
                Attachment(
                    kind: try fields.raw("kind", as: AttachmentKind.self), url: try fields.string("url"), name: try fields.optionalString("name"),
                    mimeType: try fields.optionalString("mimeType"), fileID: try fields.optionalString("fileID"), size: try fields.optionalInt("size")))
        }
        self.init(text: try members.string("text"), quickReplies: quickReplies, attachments: attachments, data: members.optional("data"))
    }
}

extension BotVisit: JSONStorable {
    public var storageJSON: JSONValue {
        var object = JSONObjectBuilder()
        object["nodeID"] = .string(nodeID)
        object["visit"] = visit.json
        object["asked"] = asked.json
        object["answered"] = answered.json
        object["waiting"] = waiting.isEmpty ? nil : .array(waiting.map(\.storageJSON))
        return object.value
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
    public var storageJSON: JSONValue {
        var object = JSONObjectBuilder()
        object["text"] = .string(text)
        object["payload"] = payload.json
        object["messageID"] = messageID.map { .number(Double($0)) }
        return object.value
    }

    public init(storageJSON: JSONValue) throws(JSONShapeError) {
        let members = try JSONMembers(storageJSON, of: "BotInput")
        self.init(text: try members.string("text"), payload: try members.optionalString("payload"), messageID: try members.optionalInt64("messageID"))
    }
}
