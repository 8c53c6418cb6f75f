import Foundation
import StandInJSON

/// How the REST channel turns bot responses into array elements: `OutputChannel.send_response` and
/// `CollectingOutputChannel._message` (contract §1.3–1.4, §3).
enum RasaRendering {
    /// Per response: text (with buttons, or split on blank lines), then custom, then image, then attachment, each its
    /// own element. Empty values count as absent, as Python's truthiness does.
    static func elements(for responses: [RasaMessage], recipient: String) -> [JSONValue] {
        var elements: [JSONValue] = []
        for response in responses {
            if !response.buttons.isEmpty {
                elements.append(element(recipient, text: response.text, buttons: response.buttons))
            } else if let text = response.text, !text.isEmpty {
                // `text.strip().split("\n\n")`: empty parts are kept, as Python's split keeps them.
                for part in text.trimmingCharacters(in: .whitespacesAndNewlines).components(separatedBy: "\n\n") {
                    elements.append(element(recipient, text: part))
                }
            }
            if let custom = response.custom, custom != .object([]), custom != .null { elements.append(element(recipient, custom: custom)) }
            if let image = response.image, !image.isEmpty { elements.append(element(recipient, image: image)) }
            if let attachment = response.attachment, attachment != .null, attachment != "" {
                elements.append(element(recipient, attachment: attachment))
            }
        }
        return elements
    }

    /// `recipient_id` always, then only the keys that are not null, in `_message`'s order.
    private static func element(
        _ recipient: String, text: String? = nil, image: String? = nil, buttons: [RasaButton] = [], attachment: JSONValue? = nil,
        custom: JSONValue? = nil
    ) -> JSONValue {
        var members: [(String, JSONValue)] = [("recipient_id", .string(recipient))]
        if let text { members.append(("text", .string(text))) }
        if let image { members.append(("image", .string(image))) }
        if !buttons.isEmpty {
            members.append(("buttons", .array(buttons.map { ["title": .string($0.title), "payload": .string($0.payload)] })))
        }
        if let attachment { members.append(("attachment", attachment)) }
        if let custom { members.append(("custom", custom)) }
        return .object(members)
    }
}
