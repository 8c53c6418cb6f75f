import Synchronization

/// A first-in first-out queue of scripted replies, shared by the request handlers and the test that fills it.
final class ScriptQueue<Element: Sendable>: Sendable {
    private let items = Mutex<[Element]>([])

    func push(_ item: Element) { items.withLock { $0.append(item) } }

    /// The oldest item, removed; nil when empty (the stand-in then answers with its default behaviour).
    func pop() -> Element? {
        items.withLock { $0.isEmpty ? nil : $0.removeFirst() }
    }

    var count: Int { items.withLock { $0.count } }
}
