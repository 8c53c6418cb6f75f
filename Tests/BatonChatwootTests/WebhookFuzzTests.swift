import BatonServer
import BatonCore
import BatonTestSupport
import Foundation
import Testing

/// Random mutations of the samples must decode or throw, never trap, and never turn into a delivery that
/// breaks the §4.6 rules.
@Suite struct WebhookFuzzTests {
    static let oddValues: [JSONValue] = [
        .null, true, false, 0, -1, 1.5, 1e300, -1e300, 9_007_199_254_740_993, "", "1187", "outgoing", "user",
        "agent_bot", "javascript:alert(1)", "https://x.example/a.gif", "🙂\u{0}\u{202E}", [], [1, "a", nil], [:],
        ["type": "user"], ["deleted": true],
    ]

    static func randomValue(_ generator: inout SeededGenerator) -> JSONValue {
        oddValues.randomElement(using: &generator)!
    }

    /// One to three edits: delete a key or element, or replace a value with one of another type.
    static func mutate(_ json: JSONValue, _ generator: inout SeededGenerator) -> JSONValue {
        var result = json
        for _ in 0..<Int.random(in: 1...3, using: &generator) {
            let paths = result.allPaths()
            guard let path = paths.randomElement(using: &generator) else { break }
            result = result.replacing(path, with: Bool.random(using: &generator) ? nil : randomValue(&generator))
        }
        return result
    }

    /// Byte-level damage: truncation, a flipped byte, an inserted byte.
    static func damage(_ data: Data, _ generator: inout SeededGenerator) -> Data {
        guard !data.isEmpty else { return data }
        var bytes = [UInt8](data)
        let index = Int.random(in: 0..<bytes.count, using: &generator)
        switch Int.random(in: 0..<3, using: &generator) {
        case 0: bytes.removeSubrange(index...)
        case 1: bytes[index] ^= UInt8.random(in: 1...255, using: &generator)
        default: bytes.insert(UInt8.random(in: 0...255, using: &generator), at: index)
        }
        return Data(bytes)
    }

    /// What §4.6 demands of anything delivered, checked against the mutated JSON itself.
    static func checkDeliveryRules(_ action: WebhookAction, json: JSONValue, context: String) {
        guard case .deliver(let message) = action else { return }
        let type = json["message_type"]
        #expect(type == "outgoing" || type == 1 || type == "1", "\(context)")
        #expect(json["private"] == false || json["private"] == "false", "\(context)")
        #expect(json.at("sender.type") == "user", "\(context)")
        #expect(!(json["source_id"]?.displayText.hasPrefix(Fixture.prefix) ?? false), "\(context)")
        #expect(json.at("content_attributes.deleted") != true, "\(context)")
        #expect(message.attachments.allSatisfy { $0.hasWebURL }, "\(context)")
        #expect(!message.text.isEmpty || !message.attachments.isEmpty, "\(context)")
    }

    @Test func structuralMutationsNeverCrash() throws {
        var generator = SeededGenerator(state: 0xBA70_0001)
        var decoded = 0
        var thrown = 0
        for name in try Samples.bodyFileNames() {
            let original = try Samples.json(name)
            for round in 0..<30 {
                let json = Self.mutate(original, &generator)
                do {
                    let webhook = try ChatwootWebhook.decode(json.bodyData)
                    decoded += 1
                    Self.checkDeliveryRules(Fixture.classifier.classify(webhook), json: json, context: "\(name) #\(round)")
                } catch {
                    thrown += 1
                    #expect(!error.description.isEmpty)
                }
            }
        }
        #expect(decoded + thrown == 14 * 30)
        // Both outcomes must actually occur, or the mutations test nothing.
        #expect(decoded > 0 && thrown > 0)
    }

    @Test func byteDamageNeverCrashes() throws {
        var generator = SeededGenerator(state: 0xBA70_0002)
        var attempts = 0
        for name in try Samples.bodyFileNames() {
            let data = try Samples.data(name)
            for _ in 0..<15 {
                let damaged = Self.damage(data, &generator)
                attempts += 1
                if let webhook = try? ChatwootWebhook.decode(damaged) {
                    _ = Fixture.classifier.classify(webhook)
                }
            }
        }
        #expect(attempts == 14 * 15)
    }

    @Test func deeplyNestedAndHugeInputsDoNotTrap() throws {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(Fixture.decodingError(Data(deep.utf8)) != nil)
        let deepInside = #"{"event":"message_created","content_attributes":"# + String(repeating: "[", count: 5_000)
        #expect(Fixture.decodingError(Data(deepInside.utf8)) != nil)
        let longText = String(repeating: "ü", count: 200_000)
        let json = try Fixture.agentReply().with("content", .string(longText))
        #expect(try Fixture.classify(json).deliveredMessage?.text == longText)
    }
}
