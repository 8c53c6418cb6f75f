public import Foundation
import Synchronization

/// Where the stand-in reads "now" from: every timestamp it stores and the 200-messages-per-minute flood guard.
///
/// Inject ``ManualClock`` in tests to move time without sleeping (e.g. to let the flood window pass).
public struct StandInClock: Sendable {
    private let read: @Sendable () -> Date

    /// A clock backed by a closure.
    public init(_ now: @escaping @Sendable () -> Date) { self.read = now }

    /// The wall clock.
    public static let system = StandInClock { Date() }

    /// A clock a test moves by hand.
    public static func manual(_ clock: ManualClock) -> StandInClock { StandInClock { clock.now } }

    /// The current time.
    public func now() -> Date { read() }
}

/// A clock that only moves when told to.
public final class ManualClock: Sendable {
    private let current: Mutex<Date>

    /// Starts at `start` (default: the real time now, so ids and webhooks look plausible).
    public init(start: Date = Date()) { current = Mutex(start) }

    /// The clock's time.
    public var now: Date { current.withLock { $0 } }

    /// Moves the clock forward by `seconds`.
    public func advance(by seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }

    /// Sets the clock.
    public func set(_ date: Date) { current.withLock { $0 = date } }
}
