import StandInJSON
/// Answers one request to the OpenAI-compatible stand-in: size → route and auth → validation → model → reply.
struct OpenAIHandler: Sendable {
    let options: OpenAIStandIn.Options
    let scripts: ScriptQueue<ScriptedReply>
    let signal: ShutdownSignal

    var flavor: OpenAIStandIn.Flavor { options.flavor }

    func handle(_ request: IncomingRequest) async -> StandInReply {
        // Size first: a proxy in front of the real servers refuses before anything else looks at the request.
        if request.bodyTooLarge { return OpenAIErrorInfo.bodyTooLarge(limit: options.maxBodyBytes).reply(for: flavor) }
        let deployment: String?
        switch OpenAIRoute.route(request, options: options) {
        case .answer(let reply): return reply
        case .chat(let routed): deployment = routed
        }
        guard let body = try? JSONParser.parse(request.body) else { return ChatRequestValidator.unparsable.reply(for: flavor) }
        if let problem = ChatRequestValidator.problem(in: body, flavor: flavor) { return problem.reply(for: flavor) }
        let chat = ChatRequest(body: body)
        let model = chat.model ?? deployment ?? ""
        // Azure's dated API ignores `model` in favour of the deployment, so only the others check it.
        if deployment == nil, let served = options.models, !served.contains(model) {
            return OpenAIErrorInfo.modelNotFound(model, flavor: flavor).reply(for: flavor)
        }
        let reply = scripts.pop() ?? DefaultAssistant.reply(to: chat, flavor: flavor)
        return await answer(reply, to: chat, model: model)
    }

    private func answer(_ reply: ScriptedReply, to chat: ChatRequest, model: String) async -> StandInReply {
        switch reply {
        case .delay(let seconds, let then):
            guard await signal.sleep(for: .milliseconds(Int((max(0, seconds) * 1000).rounded()))) else { return .dropConnection }
            return await answer(then, to: chat, model: model)
        case .status(let status, let body, let headers):
            var fields = headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
            if !headers.keys.contains(where: { $0.lowercased() == "content-type" }) { fields.insert(("Content-Type", "application/json"), at: 0) }
            return .full(status: status, headers: fields, body: Array(body.utf8))
        case .malformed(let text):
            return .full(status: 200, headers: [("Content-Type", chat.stream ? "text/event-stream" : "application/json")], body: Array(text.utf8))
        default:
            guard var plan = CompletionPlan.make(reply) else { return OpenAIErrorInfo.serverError.reply(for: flavor) }
            if plan.pieceDelay == .zero { plan.pieceDelay = options.pieceDelay }
            let context = CompletionContext(model: model, flavor: flavor, promptTokens: chat.promptTokens)
            return chat.stream ? stream(plan, context: context, chat: chat) : whole(plan, context: context)
        }
    }

    private func whole(_ plan: CompletionPlan, context: CompletionContext) -> StandInReply {
        switch plan.ending {
        case .cut: return .dropConnection
        case .errorEvent: return OpenAIErrorInfo.serverError.reply(for: flavor)
        case .finish: return .json(CompletionBody.json(plan, context: context))
        }
    }

    private func stream(_ plan: CompletionPlan, context: CompletionContext, chat: ChatRequest) -> StandInReply {
        let factory = ChunkFactory(context: context, includeUsage: chat.includeUsage, includeObfuscation: chat.includeObfuscation)
        let writer = CompletionStream(plan: plan, factory: factory, signal: signal)
        let headers = [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")]
        return .stream(status: 200, headers: headers) { out in try await writer.write(to: &out) }
    }
}
