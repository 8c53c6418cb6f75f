import StandInJSON

/// What the Rasa stand-in answers when no reply is scripted (checked in this order, case-insensitive):
///
/// - "human", "agent" or "person" → `Let me get you a person.` and `custom.handover` with `reason` and `summary`
/// - "helpdesk" → a text, then the helpdesk-assistant starter pack's form `custom: {handoff_host, title}` (contract §5.2)
/// - "silence" → `[]`
/// - "buttons" → `Did that help?` with the buttons Yes (`/affirm`) and "No, I need a person" (`/request_human`)
/// - anything else → `Rasa heard: <message>`
enum RasaDefaultBot {
    static func responses(to message: String) -> [RasaMessage] {
        let lowered = message.lowercased()
        if ["human", "agent", "person"].contains(where: lowered.contains) {
            let summary = "The user wrote: \"\(message.count > 120 ? String(message.prefix(120)) + "…" : message)\""
            return [.text("Let me get you a person."), .custom(["handover": ["reason": "user asked", "summary": .string(summary)]])]
        }
        if lowered.contains("helpdesk") {
            return [.text("Connecting you to the helpdesk."), .custom(["handoff_host": "http://helpdesk.example", "title": "Helpdesk"])]
        }
        if lowered.contains("silence") { return [] }
        if lowered.contains("buttons") {
            let buttons = [RasaButton(title: "Yes", payload: "/affirm"), RasaButton(title: "No, I need a person", payload: "/request_human")]
            return [RasaMessage(text: "Did that help?", buttons: buttons)]
        }
        return [.text("Rasa heard: \(message)")]
    }
}
