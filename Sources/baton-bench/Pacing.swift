/// An open loop: `send(0)`, `send(1)`, … `send(total - 1)`, `rate` a second, each in its own task so a slow one
/// never holds the next back; returns once every send has finished.
func atFixedRate(_ rate: Int, total: Int, _ send: @escaping @Sendable (Int) async -> Void) async {
    let clock = ContinuousClock()
    let start = clock.now
    await withDiscardingTaskGroup { group in
        var next = 0
        var tick = 0
        while next < total {
            tick += 1
            try? await clock.sleep(until: start + .milliseconds(tick))
            // Everything due by now goes out now, so a late wake-up does not lower the rate.
            let due = min(total, Int((clock.now - start) / .milliseconds(1)) * rate / 1000)
            while next < due {
                let number = next
                next += 1
                group.addTask { await send(number) }
            }
        }
    }
}
