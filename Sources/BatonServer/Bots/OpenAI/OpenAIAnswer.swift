import BatonConfig
import BatonCore
import Foundation

/// A completion, put together, as the turn's answer: the text said to the user, and a `handover` or
/// `end_conversation` call as the end of the bot's turn with its arguments.
enum OpenAIAnswer {
    static func answer(_ completion: CompletionAccumulator, request: BotTurnRequest, settings: OpenAIBotSettings) -> BotCall {
        if let error = completion.error { return .failed(.serverError, detail: "the model server reported an error: \(BotHTTP.clipped(error))") }
        var answer = BotAnswer(nodeID: request.nodeID, visit: request.visit, turn: request.turn)
        let text = completion.text.trimmingCharacters(in: .whitespacesAndNewlines)
        if !text.isEmpty { answer.messages.append(MessageContent(text: text)) }
        for call in completion.orderedToolCalls {
            // `arguments` is a JSON string the model wrote: it may not be JSON at all, and that must not lose the
            // handover the model asked for.
            let arguments = (try? JSONValue(jsonText: call.arguments)).flatMap { value -> JSONValue? in
                if case .object = value { return value }
                return nil
            }
            switch call.name {
            case OpenAIRequest.handoverTool where settings.handoverTool:
                answer.ending = .handover(
                    BotHandover(reason: arguments?["reason"]?.stringValue, summary: arguments?["summary"]?.stringValue, arguments: arguments ?? .string(call.arguments)))
            case OpenAIRequest.endTool where settings.endTool && answer.ending == nil:
                answer.ending = .end(reason: arguments?["reason"]?.stringValue)
            default:
                // A tool Baton did not offer (made up, or turned off): its text, if any, still counts.
                continue
            }
            if case .handover = answer.ending { break }
        }
        if completion.finishReason == "content_filter", answer.messages.isEmpty, answer.ending == nil {
            return .failed(.rejected, detail: "the model server's content filter withheld the answer")
        }
        return .answered(answer)
    }
}
