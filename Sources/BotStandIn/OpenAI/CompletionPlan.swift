/// One answer to give, in the terms both the whole-body and the streamed form are built from.
struct CompletionPlan: Sendable {
    struct Call: Sendable {
        let id: String
        let name: String
        let arguments: String
    }

    /// How a stream ends (a whole-body answer maps the unusual endings to a dropped connection or a 500).
    enum Ending: Sendable, Equatable {
        case finish
        case cut(afterPieces: Int)
        case errorEvent(afterPieces: Int)
    }

    /// `nil` means `content: null` (an answer with only tool calls).
    var text: String?
    var calls: [Call] = []
    var finishReason = "stop"
    var pieceDelay: Duration = .zero
    var ending: Ending = .finish

    /// The plan for a reply that is an answer; nil for `.status`, `.malformed` and `.delay`, which are not.
    static func make(_ reply: ScriptedReply) -> CompletionPlan? {
        switch reply {
        case .text(let text): return CompletionPlan(text: text)
        case .slowText(let text, let milliseconds): return CompletionPlan(text: text, pieceDelay: .milliseconds(max(0, milliseconds)))
        case .truncated(let text): return CompletionPlan(text: text, finishReason: "length")
        case .empty: return CompletionPlan(text: "")
        case .toolCall(let name, let arguments): return CompletionPlan(text: nil, calls: [call(name, arguments)], finishReason: "tool_calls")
        case .toolCalls(let calls): return CompletionPlan(text: nil, calls: calls.map { call($0.name, $0.arguments) }, finishReason: "tool_calls")
        case .textAndToolCall(let text, let name, let arguments):
            return CompletionPlan(text: text, calls: [call(name, arguments)], finishReason: "tool_calls")
        case .cutStream(let pieces, let text): return CompletionPlan(text: text, ending: .cut(afterPieces: max(0, pieces)))
        case .errorEvent(let pieces, let text): return CompletionPlan(text: text, ending: .errorEvent(afterPieces: max(0, pieces)))
        case .status, .malformed, .delay: return nil
        }
    }

    private static func call(_ name: String, _ arguments: String) -> Call {
        Call(id: OpenAIIdentifiers.toolCall(), name: name, arguments: arguments)
    }

    /// The text in streaming pieces: each word with the whitespace before it, so the pieces join back to the text.
    var pieces: [String] { Self.pieces(of: text ?? "") }

    static func pieces(of text: String) -> [String] {
        var pieces: [String] = []
        var current = ""
        for character in text {
            if character.isWhitespace, current.contains(where: { !$0.isWhitespace }) {
                pieces.append(current)
                current = ""
            }
            current.append(character)
        }
        if !current.isEmpty { pieces.append(current) }
        return pieces
    }

    /// Tool-call arguments in the fragments an OpenAI stream sends them in (a few characters each).
    static func fragments(of arguments: String) -> [String] {
        var fragments: [String] = []
        var rest = Substring(arguments)
        while !rest.isEmpty {
            fragments.append(String(rest.prefix(6)))
            rest = rest.dropFirst(6)
        }
        return fragments
    }

    /// A deterministic stand-in for a tokenizer: words of the text plus words of each call's arguments.
    var completionTokens: Int {
        ChatRequest.wordCount(text ?? "") + calls.reduce(0) { $0 + 1 + ChatRequest.wordCount($1.arguments) }
    }
}

/// Identifiers in OpenAI's formats.
enum OpenAIIdentifiers {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")

    static func random(_ count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in alphabet.randomElement(using: &generator) ?? "x" })
    }

    /// `chatcmpl-` and 29 characters, as in the contract's examples.
    static func completion() -> String { "chatcmpl-" + random(29) }

    /// `call_` and 24 characters.
    static func toolCall() -> String { "call_" + random(24) }
}
