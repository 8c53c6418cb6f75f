import BatonCore
import BatonTestSupport
import Foundation
import Testing

@testable import BatonServer

/// A hub announcement's JSON is written and read by hand; instances of the version before encode and decode it with
/// `Codable`, so each must read what the other writes, for every kind of event and every member present or not.
@Suite("Hub announcements: their JSON")
struct HubWireJSONTests {
    static func events(count: Int) -> [HubWireEvent] {
        var random = SeededGenerator(state: 0x5EED_0101)
        func text() -> String {
            let pieces = ["", "a", "hé", "漢字", "\u{1F600}", "\"", "\\", "\n", "\u{0}", "</script>", "x y"]
            return (0..<Int.random(in: 0...3, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
        }
        func maybe<T>(_ make: () -> T) -> T? { Bool.random(using: &random) ? make() : nil }
        let phases: [HandoverState.Phase] = [.opening, .active, .resolved, .cancelled, .failed, .inactive]
        let kinds: [HubWireEvent.Kind] = [.message, .retracted, .moved, .typing, .handover, .draft]
        return (0..<count).map { index in
            let session = SessionID(rawValue: "s_" + text())
            let message = Message(
                id: Int64(index + 1), sessionID: session,
                draft: MessageDraft(
                    sender: Sender.allCases.randomElement(using: &random)!,
                    content: MessageContent(text: text(), data: maybe { ["key": .string(text()), "n": 1.5] }),
                    createdAt: Date(timeIntervalSince1970: 1_764_000_000 + Double(index) / 8), agentName: maybe(text),
                    externalID: maybe(text), externalOrder: maybe { Int64.random(in: 1...9_000_000, using: &random) }),
                retracted: Bool.random(using: &random), movedTo: maybe { Int64(index + 2) })
            var wire = HubWireEvent(from: "instance-" + text(), HubAnnouncement(sessionID: session, event: .message(message)))
            wire.kind = kinds.randomElement(using: &random)!
            if Bool.random(using: &random) { wire.message = nil }
            wire.seq = maybe { index }
            wire.id = maybe { Int64(index) }
            wire.to = maybe { Int64(index + 1) }
            wire.sender = maybe { Sender.allCases.randomElement(using: &random)! }
            wire.on = maybe { Bool.random(using: &random) }
            wire.phase = maybe { phases.randomElement(using: &random)! }
            wire.number = maybe { Int.random(in: 1...9, using: &random) }
            wire.agentJoined = maybe { Bool.random(using: &random) }
            wire.agentName = maybe(text)
            wire.agentAvatar = maybe { "https://example.com/" + text() }
            wire.text = maybe(text)
            return wire
        }
    }

    @Test func announcementsReadAndWriteAsCodableDoes() throws {
        for wire in Self.events(count: 500) {
            let written = wire.storageText
            #expect(try HubWireEvent(storageText: written) == wire)
            #expect(try JSONDecoder().decode(HubWireEvent.self, from: Data(written.utf8)) == wire, "Codable cannot read \(written)")
            let codable = String(decoding: try JSONEncoder().encode(wire), as: UTF8.self)
            #expect(try HubWireEvent(storageText: codable) == wire, "cannot read what Codable wrote: \(codable)")
            #expect(HubWireEvent.session(in: written) == wire.session || wire.session.contains(where: { $0 == "\"" || $0 == "\\" || $0 < " " }))
        }
    }

    @Test(arguments: [
        #"{"from":"a","kind":"message"}"#,  // no session
        #"{"from":"a","kind":"singing","session":"s"}"#,
        #"{"from":"a","kind":"typing","session":"s","sender":"robot"}"#,
        #"{"from":"a","kind":"message","session":"s","message":{"id":1}}"#,
        #"["from","a"]"#,
    ])
    func malformedAnnouncementsAreErrors(_ payload: String) {
        #expect(throws: (any Error).self) { try HubWireEvent(storageText: payload) }
    }
}
