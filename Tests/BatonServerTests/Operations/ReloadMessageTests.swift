import Foundation
import Testing

@testable import BatonServer

/// The reload's messages between instances: they travel as NOTIFY payloads, which PostgreSQL caps at 8000 bytes, and
/// the hub's fan-out tells them from its events by how they start.
struct ReloadMessageTests {
    let identity = InstanceIdentity(instance: InstanceName.make(host: "baton-7f9c4d-x2x9z", pid: 1), host: "baton-7f9c4d-x2x9z", pid: 1)

    @Test func anAnswerWithManyLongDiagnosticsIsCutToFitAPayloadAndSaysHowManyItLeftOut() throws {
        let diagnostics = (1...100).map { "flows/shop.yaml:\($0):3: error: " + String(repeating: "é", count: 600) }
        let report = InstanceReport(identity, refusedWith: diagnostics)
        let message = ReloadMessage(command: .reloaded, request: UUID().uuidString, report: report)
        #expect(try message.payload().utf8.count > ReloadMessage.maxPayloadBytes, "the case needs cutting")

        let fitted = message.fitted()
        let payload = try fitted.payload()
        #expect(payload.utf8.count <= ReloadMessage.maxPayloadBytes)
        let kept = try #require(try ReloadMessage(payload: payload).report?.diagnostics)
        #expect(kept.count > 1 && kept.count <= 21, "\(kept.count)")
        #expect(kept.last == "… and \(100 - (kept.count - 1)) more in that instance's log")
        #expect(kept.dropLast().allSatisfy { $0.count == 500 } && kept.first?.hasPrefix("flows/shop.yaml:1:3: error: ") == true)
    }

    @Test func aShortAnswerTravelsWholeAndStartsAsTheFanOutExpects() throws {
        var outcome = ConfigurationReload.Outcome()
        (outcome.reloaded, outcome.restartNeeded, outcome.warnings) = (["shop"], ["server"], ["flow.yaml:3:1: warning: unused node 'x'"])
        let message = ReloadMessage(command: .reloaded, request: "r-1", report: InstanceReport(identity, reloaded: outcome))
        let payload = try message.fitted().payload()
        #expect(payload.hasPrefix(HubFanOut.commandPrefix))
        #expect(try ReloadMessage(payload: payload).report == message.report)
        #expect(try ReloadMessage(command: .reload, request: "r-2", from: "i-1").payload().hasPrefix(HubFanOut.commandPrefix))
    }

    /// An instance's name carries its machine and process, and fits PostgreSQL's names (63 bytes) with the listener's
    /// prefix and the shared channel's, whatever the host is called.
    @Test func anInstancesNameSaysWhichMachineAndProcessItIsAndFitsPostgreSQLsNames() {
        let name = InstanceName.make(host: "baton-7f9c4d-x2x9z", pid: 1, random: 0xbeef)
        #expect(name == "baton-7f9c4d-x2x9z:1:0000beef")
        #expect(InstanceName.parse(name)?.host == "baton-7f9c4d-x2x9z" && InstanceName.parse(name)?.pid == 1)
        let odd = InstanceName.make(host: "ünïcode \"quoted\" host.example.com.very.long.domain", pid: 4_194_304)
        #expect(!odd.contains("\"") && odd.allSatisfy { $0.isASCII && !$0.isWhitespace }, "\(odd)")
        #expect(("baton hub listener " + odd).utf8.count <= 63 && ("baton_hub." + odd).utf8.count <= 63, "\(odd)")
        #expect(InstanceName.parse(odd)?.pid == 4_194_304)
        #expect(InstanceName.parse(UUID().uuidString) == nil, "an older Baton's name")
    }
}
