extension Duration {
    /// The duration in seconds, as a floating-point number (what `Date` arithmetic and rates take).
    public var inSeconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
