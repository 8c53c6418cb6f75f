import StandInJSON
/// Writes one answer as Server-Sent Events: `data: <chunk>\n\n` … `data: [DONE]\n\n` (contract §4).
struct CompletionStream: Sendable {
    let plan: CompletionPlan
    let factory: ChunkFactory
    let signal: ShutdownSignal

    var flavor: OpenAIStandIn.Flavor { factory.context.flavor }

    func write(to out: inout StreamOut) async throws {
        if flavor == .azure { try await send(ChunkFactory.azurePromptFilterChunk, to: &out) }
        try await sendRoleChunk(to: &out)
        // A comment line, which clients must skip (SSE spec; contract §1.4).
        try await out.send(": keep-alive\n\n")
        for (index, piece) in plan.pieces.enumerated() {
            if try await endsEarly(afterPieces: index, out: &out) { return }
            if index > 0 { try await pause() }
            let delta: JSONValue = flavor == .ollama ? ["role": "assistant", "content": .string(piece)] : ["content": .string(piece)]
            try await send(factory.chunk(delta: delta), to: &out)
        }
        if try await endsEarly(afterPieces: plan.pieces.count, out: &out) { return }
        try await sendToolCalls(to: &out)
        try await send(factory.chunk(delta: [:], finishReason: plan.finishReason), to: &out)
        if factory.includeUsage { try await send(factory.usageChunk(completionTokens: plan.completionTokens), to: &out) }
        try await out.send("data: [DONE]\n\n")
    }

    /// The first chunk: the role, and for an answer without text OpenAI's first tool-call fragment (as recorded).
    private func sendRoleChunk(to out: inout StreamOut) async throws {
        if plan.text == nil, flavor != .ollama, let first = plan.calls.first {
            let delta: JSONValue = ["role": "assistant", "content": nil, "tool_calls": [Self.opening(first, index: 0)], "refusal": nil]
            return try await send(factory.chunk(delta: delta), to: &out)
        }
        let delta: JSONValue = flavor == .openai ? ["role": "assistant", "content": "", "refusal": nil] : ["role": "assistant", "content": ""]
        try await send(factory.chunk(delta: delta), to: &out)
    }

    /// OpenAI and Azure: fragments keyed by `index`. Ollama: every call whole in one chunk (contract §1.3).
    private func sendToolCalls(to out: inout StreamOut) async throws {
        guard !plan.calls.isEmpty else { return }
        if flavor == .ollama {
            let calls: [JSONValue] = plan.calls.enumerated().map { index, call in
                ["id": .string(call.id), "index": .int(Int64(index)), "type": "function",
                 "function": ["name": .string(call.name), "arguments": .string(call.arguments)]]
            }
            return try await send(factory.chunk(delta: ["role": "assistant", "content": "", "tool_calls": .array(calls)]), to: &out)
        }
        for (index, call) in plan.calls.enumerated() {
            let openedInRoleChunk = index == 0 && plan.text == nil
            if !openedInRoleChunk { try await send(factory.chunk(delta: ["tool_calls": [Self.opening(call, index: index)]]), to: &out) }
            for fragment in CompletionPlan.fragments(of: call.arguments) {
                try await pause()
                let piece: JSONValue = ["index": .int(Int64(index)), "function": ["arguments": .string(fragment)]]
                try await send(factory.chunk(delta: ["tool_calls": [piece]]), to: &out)
            }
        }
    }

    /// The first fragment of a call: `id`, `type`, `function.name` and empty `arguments`.
    static func opening(_ call: CompletionPlan.Call, index: Int) -> JSONValue {
        ["index": .int(Int64(index)), "id": .string(call.id), "type": "function", "function": ["name": .string(call.name), "arguments": ""]]
    }

    /// Ends the stream the scripted way once `afterPieces` pieces are out; true when it did.
    private func endsEarly(afterPieces sent: Int, out: inout StreamOut) async throws -> Bool {
        switch plan.ending {
        case .finish:
            return false
        case .cut(let pieces):
            guard sent >= pieces else { return false }
            throw StreamCut()
        case .errorEvent(let pieces):
            guard sent >= pieces else { return false }
            if flavor == .ollama {
                // Ollama's OpenAI layer decodes the error as an empty response: one empty chunk, then the end.
                try await send(factory.chunk(delta: ["role": "assistant", "content": ""]), to: &out)
            } else {
                try await out.send("data: \(OpenAIErrorInfo.serverError.body(for: flavor))\n\n")
            }
            return true
        }
    }

    private func pause() async throws {
        guard plan.pieceDelay > .zero else { return }
        guard await signal.sleep(for: plan.pieceDelay) else { throw StreamCut() }
    }

    private func send(_ chunk: JSONValue, to out: inout StreamOut) async throws {
        try await out.send("data: \(JSONWriter.string(chunk, style: .compact))\n\n")
    }
}
