import Foundation
import Testing

/// What a fault test saw, checked and written down: every fault test compares what arrived with what was sent and
/// records the counts in `.build/reliability/<test>.json`, from which `scripts/reliability-report` makes the table in
/// RELIABILITY.md.
struct Delivery: Codable, Sendable {
    var test: String
    var sent = 0
    var received = 0
    var lost = 0
    var duplicated = 0
    var reordered = 0
    var badInputs = 0
    var crashes = 0

    /// Compares `received` with `sent` (both in order); `reordered` counts received messages that came before one
    /// sent earlier than them.
    static func compare(test: String, sent: [String], received: [String]) -> Delivery {
        var delivery = Delivery(test: test, sent: sent.count, received: received.count)
        let sentSet = Set(sent)
        delivery.lost = sentSet.subtracting(received).count
        var seen = Set<String>()
        for text in received where sentSet.contains(text) {
            if !seen.insert(text).inserted { delivery.duplicated += 1 }
        }
        let position = Dictionary(sent.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        var highest = -1
        for text in received {
            guard let index = position[text] else { continue }
            if index < highest { delivery.reordered += 1 }
            highest = max(highest, index)
        }
        return delivery
    }

    /// Adds another comparison's counts (a test with several conversations).
    static func + (lhs: Delivery, rhs: Delivery) -> Delivery {
        var sum = lhs
        sum.sent += rhs.sent
        sum.received += rhs.received
        sum.lost += rhs.lost
        sum.duplicated += rhs.duplicated
        sum.reordered += rhs.reordered
        sum.badInputs += rhs.badInputs
        sum.crashes += rhs.crashes
        return sum
    }

    /// Expects nothing lost, duplicated or reordered, and writes the figures down.
    func expectPerfect(sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(lost == 0, "\(test): \(lost) lost", sourceLocation: sourceLocation)
        #expect(duplicated == 0, "\(test): \(duplicated) duplicated", sourceLocation: sourceLocation)
        #expect(reordered == 0, "\(test): \(reordered) out of order", sourceLocation: sourceLocation)
        #expect(crashes == 0, "\(test): \(crashes) crashes", sourceLocation: sourceLocation)
        record()
    }

    func record() {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../.build/reliability").standardized
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let name = test.filter { $0.isLetter || $0.isNumber || $0 == "-" }
        try? encoder.encode(self).write(to: folder.appendingPathComponent("\(name).json"))
    }
}
