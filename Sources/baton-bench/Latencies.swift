import Foundation
import Synchronization

/// Latencies in nanoseconds, summarised as percentiles. Every sample is kept (tens of thousands at most), so the
/// percentiles are exact rather than estimated.
struct Latencies: Sendable, Codable {
    private(set) var samples: [UInt64] = []

    mutating func add(_ nanoseconds: UInt64) { samples.append(nanoseconds) }

    var count: Int { samples.count }

    /// The `q` quantile (0...1) in milliseconds, or nil without samples.
    func milliseconds(at q: Double) -> Double? {
        guard !samples.isEmpty else { return nil }
        let sorted = samples.sorted()
        let index = Swift.min(sorted.count - 1, Int((Double(sorted.count) * q).rounded(.up)) - 1)
        return Double(sorted[Swift.max(0, index)]) / 1_000_000
    }

    var p50: Double? { milliseconds(at: 0.50) }
    var p99: Double? { milliseconds(at: 0.99) }
    var max: Double? { milliseconds(at: 1) }
}

/// Send and arrival times of numbered messages, written from many tasks: the send side stamps a message when
/// its request goes out, the receive side when the frame (or the stand-in's request) shows up.
final class Stopwatch: Sendable {
    private let sent: Mutex<[Int: UInt64]> = Mutex([:])
    private let arrived: Mutex<[Int: UInt64]> = Mutex([:])
    private let arrivals = Mutex<(count: Int, waiters: [UUID: (target: Int, continuation: CheckedContinuation<Bool, Never>)])>((0, [:]))

    /// Monotonic nanoseconds.
    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    func sent(_ number: Int, at time: UInt64 = Stopwatch.now()) { sent.withLock { $0[number] = time } }

    /// Records an arrival (the first one counts) and wakes whoever waits for that many.
    func arrived(_ number: Int, at time: UInt64 = Stopwatch.now()) {
        let isFirst = arrived.withLock { table in
            if table[number] != nil { return false }
            table[number] = time
            return true
        }
        guard isFirst else { return }
        let ready = arrivals.withLock { state -> [CheckedContinuation<Bool, Never>] in
            state.count += 1
            let count = state.count
            let due = state.waiters.filter { $0.value.target <= count }
            due.keys.forEach { state.waiters[$0] = nil }
            return due.values.map(\.continuation)
        }
        ready.forEach { $0.resume(returning: true) }
    }

    var arrivedCount: Int { arrivals.withLock { $0.count } }

    /// When the latest arrival came.
    var lastArrival: UInt64? { arrived.withLock { $0.values.max() } }

    /// Waits until `count` messages arrived, or `timeout` passed; returns whether they all did.
    func waitForArrivals(_ count: Int, timeout: Duration) async -> Bool {
        let id = UUID()
        let timer = Task {
            try? await Task.sleep(for: timeout)
            arrivals.withLock { $0.waiters.removeValue(forKey: id) }?.continuation.resume(returning: false)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in
            let already = arrivals.withLock { state -> Bool in
                if state.count >= count { return true }
                state.waiters[id] = (count, continuation)
                return false
            }
            if already { continuation.resume(returning: true) }
        }
    }

    /// Arrival minus send, for every message that did both, in the order they were sent: in the raw figures of an
    /// open loop, a sample's place tells when in the phase it was sent (at 1,000 msg/s, the 2,500th 2.5 s in).
    func latencies() -> Latencies {
        let sent = self.sent.withLock { $0 }
        let arrived = self.arrived.withLock { $0 }
        var result = Latencies()
        for (number, start) in sent.sorted(by: { $0.value < $1.value }) {
            if let end = arrived[number], end >= start { result.add(end - start) }
        }
        return result
    }

    /// Messages sent that never arrived.
    func missing() -> Int {
        let sent = self.sent.withLock { Set($0.keys) }
        let arrived = self.arrived.withLock { Set($0.keys) }
        return sent.subtracting(arrived).count
    }
}

/// Finds `marker` followed by a decimal number in `text` ("bench:123;" → 123) without parsing the JSON around it.
func number(after marker: String, in text: String) -> Int? {
    guard let range = text.range(of: marker) else { return nil }
    var value = 0
    var digits = 0
    for character in text[range.upperBound...] {
        guard let digit = character.wholeNumberValue, character.isASCII else { break }
        value = value * 10 + digit
        digits += 1
    }
    return digits > 0 ? value : nil
}
