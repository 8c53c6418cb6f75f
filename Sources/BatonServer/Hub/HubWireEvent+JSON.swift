import BatonCore

/// An announcement's JSON, written and read by hand as the stores write theirs: `JSONEncoder` and `JSONDecoder`
/// were a twentieth of an instance's processor time with two instances relaying. The text has the shape the
/// synthesized `Codable` gives, so instances of the version before, which encode and decode with it, and these
/// read each other's announcements (`HubWireJSONTests` checks both ways).
extension HubWireEvent: JSONStorable {
    func write(to writer: inout JSONTextWriter) {
        writer.object { object in
            object.member("agentAvatar", agentAvatar)
            object.member("agentJoined", agentJoined)
            object.member("agentName", agentName)
            object.member("from", from)
            object.member("id", id)
            object.member("kind", kind.rawValue)
            object.member("message", message)
            object.member("number", number)
            object.member("on", on)
            object.member("phase", phase?.rawValue)
            object.member("sender", sender?.rawValue)
            object.member("seq", seq)
            object.member("session", session)
            object.member("text", text)
            object.member("to", to)
        }
    }

    init(storageJSON: JSONValue) throws(JSONShapeError) {
        let members = try JSONMembers(storageJSON, of: "HubWireEvent")
        from = try members.string("from")
        seq = try members.optionalInt("seq")
        session = try members.string("session")
        kind = try members.raw("kind", as: Kind.self)
        id = try members.optionalInt64("id")
        to = try members.optionalInt64("to")
        sender = try members.optionalRaw("sender", as: Sender.self)
        on = try members.optionalBool("on")
        phase = try members.optionalRaw("phase", as: HandoverState.Phase.self)
        number = try members.optionalInt("number")
        agentJoined = try members.optionalBool("agentJoined")
        agentName = try members.optionalString("agentName")
        agentAvatar = try members.optionalString("agentAvatar")
        text = try members.optionalString("text")
        message = try members.optional("message").map { json throws(JSONShapeError) in try Message(storageJSON: json) }
    }
}
