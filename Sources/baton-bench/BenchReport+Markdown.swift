import Foundation

extension BenchReport {
    /// The results as Markdown: a summary against the targets, then the details.
    var markdown: String {
        var lines: [String] = []
        lines.append("Run \(date) on \(machine).  ")
        lines.append("Command: `\(command)`; each measured load runs \(seconds) s; every server is a release build in its own process, on loopback.")
        lines.append("")
        lines.append("| Measure | Baton | Bare Hummingbird route | Target | Met |")
        lines.append("|---|---|---|---|---|")
        if let relay, let bare = bareRelay {
            let ratio = Self.median(Self.ratios(relay, bare, \.throughput)) ?? 0
            lines.append(
                row(
                    "Relay throughput, webhook → socket (msg/s, median of \(relay.rounds.count) rounds)", Self.rate(Self.median(relay.rounds.map(\.throughput)) ?? 0),
                    Self.rate(bare.medianThroughput), "≥ ½ bare", ratio >= 0.5, note: String(format: "%.2f × bare, the median of the rounds' ratios", ratio)))
            lines.append(row("Relay p50 / p99 at 250 msg/s (ms)", Self.pair(relay.relay250), Self.pair(bare.relay250), "—", nil))
            lines.append(row("Relay p50 / p99 at 1,000 msg/s (ms)", Self.pair(relay.relay1000), Self.pair(bare.relay1000), "p99 ≤ 5 ms", (relay.relay1000.p99 ?? .infinity) <= 5))
            lines.append(row("Webhook ack p50 / p99 at 2,000 msg/s (ms)", Self.pair(relay.ack2000), Self.pair(bare.ack2000), "—", nil))
            lines.append(row("Relay p50 / p99 at 2,000 msg/s (ms)", Self.pair(relay.relay2000), Self.pair(bare.relay2000), "—", nil))
            if let cpu = relay.cpuMsPerMessage?.first, let bareCPU = bare.cpuMsPerMessage?.first {
                lines.append(
                    row(
                        "Processor time per relayed message, all phases (ms)", String(format: "%.3f", cpu), String(format: "%.3f", bareCPU), "—", nil,
                        note: String(format: "%.2f × bare", cpu / Swift.max(bareCPU, 0.001))))
            }
            lines.append(row("Relayed messages lost / webhooks refused", "\(relay.lost) / \(relay.refused)", "\(bare.lost) / \(bare.refused)", "0 / 0", relay.lost + relay.refused == 0))
        }
        if calls.userMessagesSent > 0 {
            lines.append(row("User message → Chatwoot stand-in p50 / p99 at 250 msg/s (ms)", Self.pair(calls.userToChatwoot250), "", "—", nil))
            lines.append(row("User message → Chatwoot stand-in p50 / p99 at 1,000 msg/s (ms)", Self.pair(calls.userToChatwoot), "", "—", nil, note: "\(calls.userMessagesReceived) of \(calls.userMessagesSent) arrived, \(calls.userMessagesDuplicated) twice"))
            lines.append(row("Chatwoot calls per relayed user message", String(format: "%.3f", calls.callsPerUserMessage), "", "exactly 1", calls.callsPerUserMessage == 1 && calls.userMessagesReceived == calls.userMessagesSent && calls.userMessagesDuplicated == 0))
        }
        if !calls.handoverCalls.isEmpty {
            lines.append(row("Chatwoot calls per relayed agent reply", String(format: "%.3f", calls.callsPerAgentReply), "", "0", calls.callsPerAgentReply == 0))
            for (turns, byCall) in calls.handoverCalls.sorted(by: { $0.key < $1.key }) {
                lines.append(row("Chatwoot calls to open a handover after \(turns) bot turns", "\(byCall.values.reduce(0, +))", "", "—", nil))
            }
            if calls.checkedHandoverCalls.count == 2 {
                let totals = calls.checkedHandoverCalls.map { "\($0.values.reduce(0, +))" }.joined(separator: " / ")
                lines.append(row("… with whenUnavailable and announcePosition, first / second within the cache", totals, "", "—", nil))
            }
        }
        if let bot {
            lines.append(row("Bot node turn, message → first words shown p50 / p99 (ms)", Self.pair(bot.batonFirstWords), Self.pair(bot.directFirstWords), "—", nil, note: "bare: the model stand-in called directly"))
            lines.append(row("Bot node turn, message → answer stored and shown p50 / p99 (ms)", Self.pair(bot.batonAnswer), Self.pair(bot.directAnswer), "—", nil, note: Self.added(bot.batonAnswer, bot.directAnswer)))
        }
        if let bot = webhookBot {
            lines.append(row(
                "Webhook bot turn (Rasa's REST channel), message → answer stored and shown p50 / p99 (ms)", Self.pair(bot.batonAnswer), Self.pair(bot.directAnswer), "—", nil,
                note: "bare: the Rasa stand-in called directly; " + Self.added(bot.batonAnswer, bot.directAnswer)))
        }
        if let handovers {
            lines.append(row(
                "Handovers API, a bot's user message → Chatwoot stand-in p50 / p99 (ms)", Self.pair(handovers.userToChatwoot), Self.pair(handovers.directToChatwoot), "—", nil,
                note: "bare: the bot posting to the stand-in itself; " + Self.added(handovers.userToChatwoot, handovers.directToChatwoot)))
            lines.append(row("Handovers API, an agent's reply → the bot's callback p50 / p99 (ms)", Self.pair(handovers.agentToCallback), "", "—", nil))
        }
        if let channel = chatwootChannel {
            lines.append(row(
                "Chatwoot channel (WhatsApp inbox), agent-bot webhook → the flow's reply at the stand-in p50 / p99 (ms)", Self.pair(channel.webhookToReply), "", "—", nil,
                note: "of it the 150 ms a quiet conversation's message waits for the rest of a burst"))
        }
        if let open = handoverOpen {
            lines.append(row("Handover, the user's \"agent\" → the conversation created in the Chatwoot stand-in p50 / p99 (ms)", Self.pair(open.toConversation), "", "—", nil))
            lines.append(row("Handover, the user's \"agent\" → the accepted notice on the user's socket p50 / p99 (ms)", Self.pair(open.toNotice), "", "—", nil))
        }
        if let rest {
            lines.append(row("REST channel, a user message → the flow's answer in the response p50 / p99 (ms)", Self.pair(rest.messageToAnswer), "", "—", nil))
        }
        if let sockets {
            lines.append(row("Memory per open webchat socket at \(Self.count(sockets.baton.opened)) (KB)", Self.kilobytes(sockets.baton.bytesPerSocket), Self.kilobytes(sockets.bare.bytesPerSocket), "≤ 40 KB", sockets.baton.bytesPerSocket <= 40 * 1024))
            lines.append(row("Sockets open when the first was refused", sockets.baton.openAtRefusal.map(Self.count) ?? "–", "", "refuses, never crashes", sockets.baton.aliveAfterRefusal == true && sockets.baton.refusal != nil))
        }
        if let startup {
            lines.append(row("Idle resident memory (MB)", Self.megabytes(startup.batonIdleResident), Self.megabytes(startup.bareIdleResident), "—", nil,
                note: "of which the process's own, not its executable's pages: \(Self.megabytes(startup.batonIdleAnonymous)) / \(Self.megabytes(startup.bareIdleAnonymous))"))
            lines.append(row("Start to ready (ms, median of 3)", String(format: "%.0f", startup.batonStartToReadyMs), String(format: "%.0f", startup.bareStartToReadyMs), "—", nil))
        }
        for postgres in postgresRelays {
            let name = "PostgreSQL, \(postgres.instances ?? 0) instance\(postgres.instances == 1 ? "" : "s")"
            lines.append(row("\(name): relay throughput (msg/s)", Self.rate(postgres.throughput), "", "—", nil))
            lines.append(row("\(name): relay p50 / p99 at 250 msg/s (ms)", Self.pair(postgres.relay250), "", "—", nil))
            lines.append(row("\(name): relay p50 / p99 at 1,000 msg/s (ms)", Self.pair(postgres.relay1000), "", "—", nil))
            lines.append(row("\(name): ack p50 / p99 at 2,000 msg/s (ms)", Self.pair(postgres.ack2000), "", "—", nil))
            lines.append(row("\(name): lost / refused", "\(postgres.lost) / \(postgres.refused)", "", "0 / 0", postgres.lost + postgres.refused == 0))
        }
        lines.append("")
        let targets = targetRows
        if !targets.isEmpty {
            lines.append("Issue 17's targets, as ratios against the bare route measured in this run where it has one:")
            lines.append("")
            lines.append("| Measure | This run | Target | Met |")
            lines.append("|---|---|---|---|")
            lines.append(contentsOf: targets.map { "| \($0.measure) | \($0.value) | \($0.target) | \($0.met ? "met" : "**missed**") |" })
            lines.append("")
        }
        lines.append(contentsOf: details)
        return lines.joined(separator: "\n")
    }

    /// Each of issue 17's targets this run measured: the figure (as a ratio to the bare route where the target is
    /// one), the target, and whether it was met.
    var targetRows: [(measure: String, value: String, target: String, met: Bool)] {
        var rows: [(measure: String, value: String, target: String, met: Bool)] = []
        func times(_ value: Double) -> String { String(format: "%.2f × bare", value) }
        if let relay, let bare = bareRelay {
            // Ratios round by round, each round beside the bare route's, and their median (`RelayScenario.round()`).
            let throughputs = Self.ratios(relay, bare, \.throughput)
            if let throughput = Self.median(throughputs) {
                rows.append(("Relay throughput, SQLite", times(throughput) + Self.rounds(throughputs), "≥ 0.8 × bare", throughput >= 0.8))
            }
            for (rate, figure, baton, bareLatencies, limit) in [
                ("1,000", \RelayScenario.Round.p99At1000, relay.relay1000, bare.relay1000, 2.0), ("2,000", \.p99At2000, relay.relay2000, bare.relay2000, 3.0),
            ] {
                let tails = Self.ratios(relay, bare, figure)
                if let ratio = Self.median(tails), let p99 = baton.p99, let bareP99 = bareLatencies.p99 {
                    let first = String(format: "; the first %.2f against %.2f ms", p99, bareP99)
                    rows.append(("Relay p99 at \(rate) msg/s", times(ratio) + Self.rounds(tails, then: first), "≤ \(Int(limit)) × bare's p99", ratio <= limit))
                }
            }
        }
        if let p99 = calls.userToChatwoot.p99 {
            rows.append(("User message → Chatwoot p99 at 1,000 msg/s", String(format: "%.2f ms", p99), "≤ 50 ms", p99 <= 50))
        }
        if postgresRelays.count == 3 {
            let rates = postgresRelays.map(\.throughput)
            var value = rates.map(Self.rate).joined(separator: " / ") + " msg/s"
            var met = rates[1] > rates[0] && rates[2] > rates[1]
            if let bare = bareRelay?.medianThroughput {
                value += " (" + rates.map { String(format: "%.2f", $0 / Swift.max(bare, 1)) }.joined(separator: " / ") + " × bare)"
                met = met && rates[1] / Swift.max(bare, 1) >= 0.5
            }
            rows.append(("PostgreSQL (durable), relay throughput with 1 / 2 / 3 instances", value, "each added instance adds; 2 ≥ 0.5 × bare", met))
            if let p99 = postgresRelays[1].relay1000.p99 {
                rows.append(("PostgreSQL, 2 instances, relay p99 at 1,000 msg/s", String(format: "%.2f ms", p99), "≤ 50 ms", p99 <= 50))
            }
            let totals = postgresRelays.map { ($0.cpuMsPerMessage ?? []).reduce(0, +) }
            rows.append((
                "Processor time per relayed message, all instances together, 1 / 2 / 3 instances",
                totals.map { String(format: "%.3f", $0) }.joined(separator: " / ") + " ms",
                "constant as instances are added (3 within 20 % of 2)", totals[2] <= totals[1] * 1.2
            ))
        }
        if let sockets {
            let ratio = Double(sockets.baton.bytesPerSocket) / Double(Swift.max(sockets.bare.bytesPerSocket, 1))
            rows.append(("Memory per open socket", times(ratio) + " (\(Self.kilobytes(sockets.baton.bytesPerSocket)) KB)", "≤ 1.1 × bare", ratio <= 1.1))
        }
        if let startup {
            let megabytes = Double(startup.batonIdleResident) / (1024 * 1024)
            let own = Self.megabytes(startup.batonIdleAnonymous)
            rows.append(("Idle resident memory", String(format: "%.1f", megabytes) + " MB (\(own) MB its own)", "≤ 40 MB", megabytes <= 40))
        }
        if let cached = calls.handoverCalls.filter({ $0.key > 0 }).min(by: { $0.key < $1.key })?.value {
            let posts = cached.filter { $0.key.hasPrefix("POST") && $0.key.hasSuffix("/messages") }.values.reduce(0, +)
            let others = cached.values.reduce(0, +) - posts
            rows.append(("Chatwoot calls to open a handover, inbox read cached", "\(others) + \(posts) history", "≤ 3 + one per history message", others <= 3))
        }
        return rows
    }

    /// Baton's figure over the bare route's, round by round (rounds where either has none left out).
    static func ratios(_ baton: RelayScenario.Figures, _ bare: RelayScenario.Figures, _ figure: KeyPath<RelayScenario.Round, Double?>) -> [Double] {
        zip(baton.rounds, bare.rounds).compactMap { baton, bare in
            guard let value = baton[keyPath: figure], let bareValue = bare[keyPath: figure] else { return nil }
            return value / Swift.max(bareValue, 0.001)
        }
    }

    static func ratios(_ baton: RelayScenario.Figures, _ bare: RelayScenario.Figures, _ figure: KeyPath<RelayScenario.Round, Double>) -> [Double] {
        zip(baton.rounds, bare.rounds).map { $0[keyPath: figure] / Swift.max($1[keyPath: figure], 0.001) }
    }

    /// The middle value (the mean of the two middle ones for an even count); nil for none.
    static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// " (median of the rounds 0.76 / 0.79 / 0.81)" in the order run, with `then` after them.
    static func rounds(_ ratios: [Double], then: String = "") -> String {
        " (median of the rounds " + ratios.map { String(format: "%.2f", $0) }.joined(separator: " / ") + then + ")"
    }

    /// "processor time per message Baton 0.300, PostgreSQL 0.500, the bench 0.200, the rest 0.010 ms".
    static func shares(_ shares: RelayScenario.ProcessorShares?, of servers: String) -> String {
        guard let shares else { return "processor time per message not measured" }
        let postgres = shares.postgres >= 0.0005 ? String(format: ", PostgreSQL %.3f", shares.postgres) : ""
        return "processor time per message \(servers) " + String(format: "%.3f", shares.servers) + postgres
            + String(format: ", the bench %.3f, the rest %.3f ms", shares.bench, shares.rest)
    }

    private var details: [String] {
        var lines: [String] = []
        if let relay {
            lines.append(
                "- Relay on SQLite: the machine's cores \(Self.percent(relay.machineBusy)) busy while the throughput was measured (bare route: "
                    + "\(Self.percent(bareRelay?.machineBusy))), \(Self.shares(relay.throughputShares, of: "Baton")) "
                    + "(bare route: \(Self.shares(bareRelay?.throughputShares, of: "the route"))); "
                    + "\(relay.chatwootCalls.map { "\($0) Chatwoot calls during all relay phases; " } ?? "")ack p50 / p99 at 1,000 msg/s "
                    + "\(Self.pair(relay.ack1000)) ms; max relay latency at 1,000 / 2,000 msg/s \(Self.max(relay.relay1000)) / \(Self.max(relay.relay2000)) ms.")
        }
        for postgres in postgresRelays {
            let cpu = (postgres.cpuMsPerMessage ?? []).map { String(format: "%.3f", $0) }.joined(separator: " / ")
            lines.append(
                "- Relay on PostgreSQL, \(postgres.instances ?? 0) instance(s), webhooks and sockets spread over them: relay p50 / p99 at 2,000 msg/s "
                    + "\(Self.pair(postgres.relay2000)) ms; max at 1,000 msg/s \(Self.max(postgres.relay1000)) ms; processor time per relayed message on each instance \(cpu) ms; "
                    + "the machine's cores \(Self.percent(postgres.machineBusy)) busy while the throughput was measured, "
                    + "\(Self.shares(postgres.throughputShares, of: "Baton")); PostgreSQL's transactions per relayed message "
                    + "\(postgres.postgresTransactionsPerMessage.map { String(format: "%.2f", $0) } ?? "–")"
                    + (postgres.postgresCommitsPerMessage.map { String(format: " (its write transactions %.2f, the rest lone statements and listeners woken)", $0) } ?? "")
                    + (postgres.postgresPlanningPerMessage.map {
                        String(format: ", statements it planned %.2f (%.3f ms of planning)", $0.statements, $0.milliseconds)
                    } ?? "") + ".")
        }
        if calls.userMessagesSent > 0 {
            lines.append("- Users' \(Self.count(calls.userMessagesSent)) messages (both rates): \(Self.calls(calls.userMessageCalls)).")
        }
        for (turns, byCall) in calls.handoverCalls.sorted(by: { $0.key < $1.key }) {
            lines.append("- Handover after \(turns) bot turns: \(Self.calls(byCall)).")
        }
        for (index, byCall) in calls.checkedHandoverCalls.enumerated() {
            lines.append("- Handover checking availability and announcing the position (\(index == 0 ? "first" : "second, availability cached")): \(Self.calls(byCall)).")
        }
        if let sockets {
            lines.append("- Sockets: Baton \(Self.count(sockets.baton.opened)) opened in \(String(format: "%.1f", sockets.baton.openSeconds)) s (resident \(Self.megabytes(sockets.baton.residentBefore)) → \(Self.megabytes(sockets.baton.residentAfter)) MB); bare \(Self.count(sockets.bare.opened)) in \(String(format: "%.1f", sockets.bare.openSeconds)) s (\(Self.megabytes(sockets.bare.residentBefore)) → \(Self.megabytes(sockets.bare.residentAfter)) MB). At the cap: \(Self.megabytes(sockets.batonResidentAtCap)) MB resident, \(Self.count(sockets.batonOpenFilesAtCap)) descriptors open; first refusal: \(sockets.baton.refusal ?? "none"); still running: \(sockets.baton.aliveAfterRefusal == true ? "yes" : "no").")
        }
        return lines
    }

    /// `3 × \`POST …\`, 1 × \`GET …\``, by endpoint.
    static func calls(_ byCall: [String: Int]) -> String {
        byCall.sorted { $0.key < $1.key }.map { "\(count($0.value)) × `\($0.key)`" }.joined(separator: ", ")
    }

    private func row(_ measure: String, _ baton: String, _ bare: String, _ target: String, _ met: Bool?, note: String? = nil) -> String {
        let verdict = met.map { $0 ? "yes" : "**no**" } ?? ""
        return "| \(measure) | \(baton) | \(bare) | \(target) | \(verdict)\(note.map { " (\($0))" } ?? "") |"
    }

    static func rate(_ value: Double) -> String { count(Int(value.rounded())) }

    static func count(_ value: Int) -> String {
        let formatter = NumberFormatter()
        formatter.numberStyle = .decimal
        formatter.groupingSeparator = ","
        return formatter.string(from: NSNumber(value: value)) ?? String(value)
    }

    static func pair(_ latencies: Latencies) -> String {
        guard let p50 = latencies.p50, let p99 = latencies.p99 else { return "–" }
        return String(format: "%.2f / %.2f", p50, p99)
    }

    /// What Baton adds at p50 and p99: "+x / +y ms".
    static func added(_ baton: Latencies, _ direct: Latencies) -> String {
        guard let p50 = baton.p50, let p99 = baton.p99, let bareP50 = direct.p50, let bareP99 = direct.p99 else { return "–" }
        return String(format: "Baton adds %+.1f / %+.1f ms", p50 - bareP50, p99 - bareP99)
    }

    static func max(_ latencies: Latencies) -> String { latencies.max.map { String(format: "%.1f", $0) } ?? "–" }

    static func percent(_ fraction: Double?) -> String { fraction.map { String(format: "%.0f %%", $0 * 100) } ?? "–" }

    static func kilobytes(_ bytes: Int) -> String { String(format: "%.1f", Double(bytes) / 1024) }

    static func megabytes(_ bytes: Int) -> String { String(format: "%.1f", Double(bytes) / (1024 * 1024)) }
}
