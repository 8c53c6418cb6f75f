/// Keyword and pattern matching for intents and cancel words.
enum IntentMatcher {
    /// Lower-cased words of `text`, punctuation dropped: "An AGENT, please!" → ["an", "agent", "please"].
    static func words(of text: String) -> [String] {
        text.lowercased().split { !($0.isLetter || $0.isNumber) }.map(String.init)
    }

    /// Whether the words of `phrase` occur consecutively in `words`.
    static func containsPhrase(_ phrase: [String], in words: [String]) -> Bool {
        guard !phrase.isEmpty, phrase.count <= words.count else { return false }
        for start in 0...(words.count - phrase.count) where Array(words[start..<start + phrase.count]) == phrase {
            return true
        }
        return false
    }

    static func matches(_ intent: Intent, text: String, words: [String]) -> Bool {
        if intent.keywords.contains(where: { containsPhrase(Self.words(of: $0), in: words) }) { return true }
        return intent.patterns.contains { pattern in
            // Patterns were compiled once by `baton check`/the loader; one that fails here simply does not match.
            guard let regex = try? Regex(pattern).ignoresCase() else { return false }
            return text.contains(regex)
        }
    }
}
