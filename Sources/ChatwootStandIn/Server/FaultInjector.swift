import Synchronization

/// Holds the fault rules and picks the one for each request (first added, first used).
final class FaultInjector: Sendable {
    private let rules = Mutex<[FaultRule]>([])
    private let nextId = Mutex(0)

    func add(method: String?, pathPattern: String, response: FaultRule.Response, times: Int?, latency: Duration) -> FaultRule {
        let id = nextId.withLock { value -> Int in
            value += 1
            return value
        }
        let rule = FaultRule(id: id, method: method, pathPattern: pathPattern, response: response, remaining: times, latency: latency)
        rules.withLock { $0.append(rule) }
        return rule
    }

    func remove(_ id: Int) { rules.withLock { $0.removeAll { $0.id == id } } }
    func removeAll() { rules.withLock { $0.removeAll() } }
    var active: [FaultRule] { rules.withLock { $0 } }

    /// The rule that applies to this request, consuming one use of it.
    func take(method: String, path: String) -> FaultRule? {
        rules.withLock { rules in
            guard let index = rules.firstIndex(where: { $0.matches(method: method, path: path) }) else { return nil }
            let rule = rules[index]
            if let remaining = rule.remaining {
                if remaining <= 1 { rules.remove(at: index) } else { rules[index].remaining = remaining - 1 }
            }
            return rule
        }
    }
}
