import Foundation

/// Checks a question's answer and turns it into the value stored in the context.
public enum AnswerValidator {
    static let yesWords: Set<String> = ["yes", "y", "yeah", "yep", "sure", "ok", "okay", "true", "correct", "ja", "oui", "si", "sí"]
    static let noWords: Set<String> = ["no", "n", "nope", "nah", "false", "wrong", "nein", "non"]

    /// The stored value, or `nil` when the answer is not acceptable.
    public static func validate(_ answer: String, as type: AnswerType) -> JSONValue? {
        let text = answer.trimmingSpaces
        guard !text.isEmpty else { return nil }
        switch type {
        case .text:
            return .string(text)
        case .number:
            // A decimal comma is accepted: "3,5" is three and a half in much of the world.
            // Only plain decimals: Double("0x1A") and Double("1e5") would accept what no person means as an answer.
            guard text.wholeMatch(of: /[+-]?\d+([.,]\d+)?/) != nil else { return nil }
            let normalized = text.replacingOccurrences(of: ",", with: ".")
            guard let number = Double(normalized), number.isFinite else { return nil }
            return .number(number)
        case .email:
            guard text.wholeMatch(of: /[^@\s]+@[^@\s]+\.[^@\s]+/) != nil else { return nil }
            return .string(text.lowercased())
        case .yesNo:
            let words = IntentMatcher.words(of: text)
            guard let first = words.first else { return nil }
            if yesWords.contains(first) { return .bool(true) }
            if noWords.contains(first) { return .bool(false) }
            return nil
        case .pattern(let pattern):
            guard let regex = try? Regex(pattern), text.wholeMatch(of: regex) != nil else { return nil }
            return .string(text)
        }
    }
}
