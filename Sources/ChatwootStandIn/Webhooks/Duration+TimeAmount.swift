import NIOCore

extension Duration {
    /// The NIO `TimeAmount` of this duration.
    var timeAmount: TimeAmount { .nanoseconds(components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000) }
}
