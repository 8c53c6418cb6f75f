import Synchronization

extension ChatwootStandIn {
    /// Answers the next `times` requests matching `method` + `path` (glob: `*` one segment, `**` any) with
    /// `response`, after `latency`. `times: nil` keeps the rule until removed. Rules are checked in the order added.
    ///
    /// ```swift
    /// standIn.injectFault(.rateLimited, method: "POST", path: "/api/v1/accounts/*/conversations/*/messages", times: 2)
    /// ```
    @discardableResult
    public func injectFault(_ response: FaultRule.Response, method: String? = nil, path: String = "/**", times: Int? = 1, latency: Duration = .zero)
        -> FaultRule
    {
        faults.add(method: method, pathPattern: path, response: response, times: times, latency: latency)
    }

    /// Delays matching requests (then handles them normally).
    @discardableResult
    public func addLatency(_ latency: Duration, method: String? = nil, path: String = "/**", times: Int? = nil) -> FaultRule {
        faults.add(method: method, pathPattern: path, response: .passThrough, times: times, latency: latency)
    }

    /// Removes one rule.
    public func removeFault(_ rule: FaultRule) { faults.remove(rule.id) }

    /// Removes all request rules and pending webhook faults.
    public func clearFaults() {
        faults.removeAll()
        dispatchers.withLock { $0 }?.inbox.clearFaults()
        dispatchers.withLock { $0 }?.agentBots.clearFaults()
    }

    /// The request rules still active.
    public var activeFaults: [FaultRule] { faults.active }

    /// Makes the stand-in unreachable in the given way until ``comeUp()``. Data and webhooks are unaffected.
    public func goDown(_ mode: DownMode = .refuseConnections) async {
        switch mode {
        case .refuseConnections:
            await lifecycle.stopListening()
        case .closeConnections, .hangConnections:
            gate.mode.withLock { $0 = mode }
        }
    }

    /// Undoes ``goDown(_:)``: listens again on the same port, hanging connections are closed.
    public func comeUp() async throws {
        gate.mode.withLock { $0 = nil }
        gate.releaseHeld()
        try await lifecycle.listen()
    }

    /// Fakes the next `count` webhook deliveries failing (nothing is sent); message events then mark their
    /// message `failed` exactly as a real failure does.
    public func failNextWebhooks(_ count: Int = 1, with fault: WebhookFault = .status(500)) {
        dispatchers.withLock { $0 }?.inbox.addFaults(fault, count: count)
    }

    /// Fakes the next `count` agent-bot webhook attempts failing (nothing is sent). A 429 or 500 is retried like a
    /// real one; after the last attempt a message event opens its pending conversation.
    public func failNextAgentBotWebhooks(_ count: Int = 1, with fault: WebhookFault = .status(500)) {
        dispatchers.withLock { $0 }?.agentBots.addFaults(fault, count: count)
    }

    /// Changes webhook delivery knobs (timeout, order, duplicates, delay) from now on.
    public func updateWebhookOptions(_ change: (inout WebhookOptions) -> Void) {
        guard let dispatchers = dispatchers.withLock({ $0 }) else { return }
        let updated = dispatchers.inbox.options.withLock { options in
            change(&options)
            return options
        }
        dispatchers.agentBots.options.withLock { $0 = updated }
        state.buildPayloadsAtEventTime.withLock { $0 = updated.buildPayloadsAtEventTime }
    }
}
