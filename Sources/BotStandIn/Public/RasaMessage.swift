public import StandInJSON

/// One bot response as a Rasa domain response or `dispatcher.utter_message(…)` would give it; the REST channel
/// turns it into one or more array elements (see ``RasaStandIn``).
public struct RasaMessage: Sendable, Hashable {
    /// Text; a blank line (`"\n\n"`) splits it into several elements unless the response has buttons.
    public var text: String?
    /// An image URL.
    public var image: String?
    /// Buttons, sent with the text in one element.
    public var buttons: [RasaButton]
    /// An attachment: a string or an object, passed through as given.
    public var attachment: JSONValue?
    /// `json_message`: any JSON object the bot chose (hand-over conventions live here, contract §5).
    public var custom: JSONValue?

    public init(text: String? = nil, image: String? = nil, buttons: [RasaButton] = [], attachment: JSONValue? = nil, custom: JSONValue? = nil) {
        self.text = text
        self.image = image
        self.buttons = buttons
        self.attachment = attachment
        self.custom = custom
    }

    /// A text-only response.
    public static func text(_ text: String) -> RasaMessage { RasaMessage(text: text) }

    /// A custom-JSON-only response.
    public static func custom(_ custom: JSONValue) -> RasaMessage { RasaMessage(custom: custom) }
}

/// A button: the `payload` is what the client sends back as the next `message` when it is clicked.
public struct RasaButton: Sendable, Hashable {
    public var title: String
    public var payload: String

    public init(title: String, payload: String) {
        self.title = title
        self.payload = payload
    }
}

/// What ``RasaStandIn`` answers to the next webhook request (see ``RasaStandIn/enqueue(_:)``).
public indirect enum RasaScriptedReply: Sendable {
    /// These bot responses, rendered as the REST channel does (possibly `[]`).
    case messages([RasaMessage])
    /// This status, body and headers as they are (what a proxy or a crashed web layer gives).
    /// `Content-Type` is `application/json` unless `headers` name one.
    case status(Int, body: String, headers: [String: String])
    /// HTTP 200 with this raw body.
    case malformed(String)
    /// Waits (holding the sender's lock, as a slow turn does), then answers with `then`.
    case delay(seconds: Double, then: RasaScriptedReply)
    /// Closes the connection without an answer.
    case cutConnection
}
