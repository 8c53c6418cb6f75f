import BatonCore

/// What the bot providers read out of the JSON bots send.
extension JSONValue {
    /// A whole number, when the value is one.
    var intValue: Int? {
        guard case .number(let number) = self, number.rounded() == number, abs(number) < 1e15 else { return nil }
        return Int(number)
    }

    var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }
}
