import BatonCore
import BatonTestSupport
import Foundation
import Testing

/// The hand-written storage JSON must read what `Codable` wrote (rows from before it) and write what `Codable`
/// reads, for every shape a state or a content can take, as the same text a `JSONValue` of it would be.
@Suite struct JSONStorableTests {
    /// Random values of every shape, from a fixed seed so a failure can be replayed.
    struct Values {
        var random: SeededGenerator

        mutating func text() -> String {
            let pieces = ["", "a", "hé", "漢字", "\u{1F600}", "\"", "\\", "/", "\n", "\t", "\u{0}", "\u{1F}", "\u{7F}", "</script>", "x y"]
            return (0..<Int.random(in: 0...4, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
        }

        mutating func maybe<T>(_ make: (inout Values) -> T) -> T? { Bool.random(using: &random) ? make(&self) : nil }

        mutating func json(depth: Int = 0) -> JSONValue {
            switch Int.random(in: 0...(depth > 2 ? 3 : 5), using: &random) {
            case 0: return .null
            case 1: return .bool(Bool.random(using: &random))
            case 2:
                let numbers: [Double] = [0, -1, 42, 0.5, -3.25, 1e-7, 1.5e300, 9_007_199_254_740_991, Double(Int.random(in: -1_000_000...1_000_000, using: &random))]
                return .number(numbers.randomElement(using: &random)!)
            case 3: return .string(text())
            case 4: return .array((0..<Int.random(in: 0...3, using: &random)).map { _ in json(depth: depth + 1) })
            default:
                var members: [String: JSONValue] = [:]
                for _ in 0..<Int.random(in: 0...3, using: &random) { members[text()] = json(depth: depth + 1) }
                return .object(members)
            }
        }

        mutating func content() -> MessageContent {
            let kinds = AttachmentKind.allCases
            return MessageContent(
                text: text(),
                quickReplies: (0..<Int.random(in: 0...2, using: &random)).map { _ in QuickReply(title: text(), payload: text()) },
                attachments: (0..<Int.random(in: 0...2, using: &random)).map { _ in
                    Attachment(
                        kind: kinds.randomElement(using: &random)!, url: "https://example.com/" + text(), name: maybe { $0.text() },
                        mimeType: maybe { $0.text() }, fileID: maybe { $0.text() }, size: maybe { Int.random(in: 0...1 << 40, using: &$0.random) })
                },
                // `null` data reads back as no data, through Codable as well.
                data: maybe { $0.json() }.flatMap { $0 == .null ? nil : $0 },
                cards: maybe { values in
                    (0..<Int.random(in: 0...2, using: &values.random)).map { _ in
                        Card(
                            title: values.maybe { $0.text() }, subtitle: values.maybe { $0.text() }, imageURL: values.maybe { "https://example.com/" + $0.text() },
                            buttons: (0..<Int.random(in: 0...2, using: &values.random)).map { _ in
                                Bool.random(using: &values.random) ? .link(values.text(), url: "https://example.com/" + values.text()) : .reply(values.text(), payload: values.text())
                            })
                    }
                })
        }

        mutating func state() -> ConversationState {
            let waiting = (0..<Int.random(in: 0...2, using: &random)).map { _ in
                BotInput(text: text(), payload: maybe { $0.text() }, messageID: maybe { Int64.random(in: 1...999, using: &$0.random) })
            }
            let visit = BotVisit(
                nodeID: text(), visit: Int.random(in: 1...9, using: &random), asked: Int.random(in: 0...9, using: &random),
                answered: Int.random(in: 0...9, using: &random), waiting: waiting)
            let positions: [FlowState.Position] = [
                .idle, .awaitingAnswer(nodeID: text(), attempts: Int.random(in: 0...5, using: &random)), .inHandover(nodeID: text()), .withBot(visit: visit),
            ]
            let handover: HandoverState? = maybe { values in
                var handover = HandoverState(
                    phase: [.opening, .active, .resolved, .cancelled, .failed, .inactive].randomElement(using: &values.random)!, nodeID: values.text(),
                    number: Int.random(in: 1...9, using: &values.random), inboxID: values.maybe { Int.random(in: 1...99, using: &$0.random) },
                    contactID: values.maybe { Int.random(in: 1...99_999, using: &$0.random) },
                    conversationID: values.maybe { Int.random(in: 1...99_999, using: &$0.random) },
                    syncedThrough: Int64.random(in: 0...10_000, using: &values.random), statusUpdatedAt: values.maybe { _ in 1_764_000_000.125 },
                    acceptedMessage: values.maybe { $0.content() })
                handover.reconciledThrough = values.maybe { Int64.random(in: 0...10_000, using: &$0.random) }
                handover.earlyStatus = values.maybe {
                    HandoverState.EarlyStatus(
                        status: [.open, .pending, .snoozed, .resolved].randomElement(using: &$0.random)!, conversationID: Int.random(in: 1...99, using: &$0.random),
                        updatedAt: $0.maybe { _ in 1_764_000_001.5 }, resolution: $0.maybe { ResolutionDetails(labels: [$0.text()], attributes: ["ticket": 7]) })
                }
                handover.openedInDesk = values.maybe { Bool.random(using: &$0.random) }
                handover.trigger = values.maybe {
                    HandoverTrigger(kind: [.flow, .intent, .escalation].randomElement(using: &$0.random)!, name: $0.maybe { $0.text() })
                }
                handover.agentJoined = values.maybe { Bool.random(using: &$0.random) }
                handover.agentName = values.maybe { $0.text() }
                handover.agentAvatar = values.maybe { "https://chatwoot.example/avatars/" + $0.text() }
                handover.ending = values.maybe {
                    HandoverOutcome(
                        status: [.completed, .cancelled, .error, .inactive, .unavailable, .returned].randomElement(using: &$0.random)!,
                        reason: $0.maybe { values in [.providerUnreachable, .userInactive, .noAgentOnline, .openedInDesk].randomElement(using: &values.random)! },
                        detail: $0.maybe { $0.text() }, resumeAt: $0.maybe { $0.text() },
                        resolution: $0.maybe { ResolutionDetails(labels: [$0.text()], attributes: ["ticket": 12]) })
                }
                handover.timers = values.maybe {
                    HandoverTimers(
                        userInactivity: $0.maybe { _ in 600 }, agentInactivity: $0.maybe { _ in 90.5 }, reminderEvery: $0.maybe { _ in 60 },
                        reminderTimes: $0.maybe { Int.random(in: 1...5, using: &$0.random) })
                }
                handover.openedAt = values.maybe { _ in Date(timeIntervalSince1970: 1_764_000_002.25) }
                handover.userWroteAt = values.maybe { _ in Date(timeIntervalSince1970: 1_764_000_003.5) }
                handover.waitingSince = values.maybe { _ in Date(timeIntervalSince1970: 1_764_000_004) }
                handover.agentAnswered = values.maybe { Bool.random(using: &$0.random) }
                handover.remindersSent = values.maybe { Int.random(in: 0...5, using: &$0.random) }
                handover.lastReminderAt = values.maybe { _ in Date(timeIntervalSince1970: 1_764_000_005.75) }
                handover.resolution = values.maybe { values in
                    ResolutionDetails(labels: [values.text(), "refund-approved"], attributes: ["ticket": .string(values.text()), "count": 3, "nested": ["a": [1, 2]]])
                }
                handover.reopenedByUserMessageAt = values.maybe { _ in 1_764_000_006.125 }
                handover.closeRequested = values.maybe { Bool.random(using: &$0.random) }
                return handover
            }
            var state = ConversationState(flow: FlowState(position: positions.randomElement(using: &random)!, botVisits: Int.random(in: 0...3, using: &random)), context: json(), profile: json(), handover: handover)
            state.agentNotes = maybe { values in (0..<Int.random(in: 0...3, using: &values.random)).map { _ in values.text() } }
            return state
        }
    }

    @Test func statesReadAndWriteAsCodableDoes() throws {
        var values = Values(random: SeededGenerator(state: 0x5EED_0001))
        for _ in 0..<500 {
            let state = values.state()
            let written = state.storageText
            #expect(try ConversationState(storageText: written) == state)
            #expect(try JSONValue.parse(written.utf8).jsonText == written, "not written as a value's sorted, compact text: \(written)")
            #expect(try JSONDecoder().decode(ConversationState.self, from: Data(written.utf8)) == state, "Codable cannot read \(written)")
            let codable = String(decoding: try JSONEncoder().encode(state), as: UTF8.self)
            #expect(try ConversationState(storageText: codable) == state, "cannot read what Codable wrote: \(codable)")
        }
    }

    @Test func contentsReadAndWriteAsCodableDoes() throws {
        var values = Values(random: SeededGenerator(state: 0x5EED_0002))
        for _ in 0..<500 {
            let content = values.content()
            let written = content.storageText
            #expect(try MessageContent(storageText: written) == content)
            #expect(try JSONValue.parse(written.utf8).jsonText == written, "not written as a value's sorted, compact text: \(written)")
            #expect(try JSONDecoder().decode(MessageContent.self, from: Data(written.utf8)) == content, "Codable cannot read \(written)")
            let codable = String(decoding: try JSONEncoder().encode(content), as: UTF8.self)
            #expect(try MessageContent(storageText: codable) == content, "cannot read what Codable wrote: \(codable)")
        }
    }

    @Test func messagesReadAndWriteAsCodableDoes() throws {
        var values = Values(random: SeededGenerator(state: 0x5EED_0004))
        for index in 0..<500 {
            var message = Message(
                id: Int64.random(in: 1...1_000_000, using: &values.random), sessionID: SessionID(rawValue: "s_" + values.text()),
                draft: MessageDraft(
                    sender: Sender.allCases.randomElement(using: &values.random)!, content: values.content(),
                    createdAt: Date(timeIntervalSince1970: 1_764_000_000 + Double(index) * 0.125), clientMessageID: values.maybe { $0.text() },
                    agentName: values.maybe { $0.text() }, externalID: values.maybe { $0.text() },
                    externalOrder: values.maybe { Int64.random(in: 1...9_000_000_000, using: &$0.random) }),
                retracted: Bool.random(using: &values.random))
            message.movedTo = values.maybe { Int64.random(in: 1...999, using: &$0.random) }
            message.movedFrom = values.maybe { Int64.random(in: 1...999, using: &$0.random) }
            let written = message.storageText
            #expect(try Message(storageText: written) == message)
            #expect(try JSONValue.parse(written.utf8).jsonText == written, "not written as a value's sorted, compact text: \(written)")
            #expect(try JSONDecoder().decode(Message.self, from: Data(written.utf8)) == message, "Codable cannot read \(written)")
            let codable = String(decoding: try JSONEncoder().encode(message), as: UTF8.self)
            #expect(try Message(storageText: codable) == message, "cannot read what Codable wrote: \(codable)")
        }
    }

    /// The writers are written by hand, property by property: one they leave out is lost whenever a state or a
    /// message is read back (cards, a handover's agent picture and its ending once were), and the round trips above
    /// cannot see it when the generator never sets it either. So every stored property of every struct in a state or
    /// a message, under its `Codable` name, must be a member of the written text of some generated value: a property
    /// added to a type fails here until both its writer and the generator know it.
    @Test func everyStoredPropertyIsWrittenBySomeGeneratedValue() throws {
        var values = Values(random: SeededGenerator(state: 0x5EED_0005))
        var properties: [String: Set<String>] = [:]
        var written: [String: Set<String>] = [:]
        /// Walks `value` beside its JSON: a struct written as an object gives its properties and the object's members.
        func walk(_ value: Any, _ json: JSONValue?) {
            let mirror = Mirror(reflecting: value)
            // An optional, or a box holding a value out of line (`ConversationState`'s handover): what it holds.
            if mirror.displayStyle == .optional || (mirror.displayStyle == .class && mirror.children.map(\.label) == ["value"]) {
                if let wrapped = mirror.children.first?.value { walk(wrapped, json) }
                return
            }
            if mirror.displayStyle == .collection, case .array(let elements)? = json {
                for (element, elementJSON) in zip(mirror.children.map(\.value), elements) { walk(element, elementJSON) }
                return
            }
            guard mirror.displayStyle == .struct, case .object(let members)? = json else { return }
            let type = String(describing: Swift.type(of: value))
            written[type, default: []].formUnion(members.keys)
            for child in mirror.children {
                guard let label = child.label else { continue }
                let name = Self.codingNames[label] ?? label
                properties[type, default: []].insert(name)
                walk(child.value, members[name])
            }
        }
        for index in 0..<500 {
            let state = values.state()
            walk(state, try JSONValue(jsonText: state.storageText))
            var message = Message(
                id: Int64(index + 1), sessionID: SessionID(rawValue: "s_\(index)"),
                draft: MessageDraft(
                    sender: .agent, content: values.content(), createdAt: Date(timeIntervalSince1970: 1_764_000_000), clientMessageID: values.maybe { $0.text() },
                    agentName: values.maybe { $0.text() }, externalID: values.maybe { $0.text() }, externalOrder: values.maybe { _ in 7 }),
                retracted: Bool.random(using: &values.random))
            message.movedTo = values.maybe { _ in 8 }
            message.movedFrom = values.maybe { _ in 9 }
            walk(message, try JSONValue(jsonText: message.storageText))
        }
        #expect(properties.keys.count >= 12, "walked \(properties.keys.sorted())")
        for (type, names) in properties {
            #expect(names.subtracting(written[type] ?? []).isEmpty, "\(type): never written: \(names.subtracting(written[type] ?? []).sorted())")
        }
    }

    /// Properties whose `Codable` name differs from their own (their types' `CodingKeys`, a box's name).
    static let codingNames = ["imageURL": "imageUrl", "handoverBox": "handover"]

    @Test func writtenJSONIsWhatFoundationReadsBack() throws {
        var values = Values(random: SeededGenerator(state: 0x5EED_0003))
        for _ in 0..<1_000 {
            let value = values.json()
            let text = value.jsonText
            #expect(try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) == value, "\(text)")
            #expect(try JSONValue.parse(text.utf8) == value)
        }
    }

    @Test func writingIsCompactSortedAndEscapesOnlyWhatJSONNeeds() {
        let value: JSONValue = ["b": 1, "a": [true, nil, 2.5, -0.125, 1e21], "c": "q\"b\\s/n\n\u{1}é"]
        #expect(value.jsonText == #"{"a":[true,null,2.5,-0.125,1e+21],"b":1,"c":"q\"b\\s/n\n\u0001é"}"#)
        #expect(JSONValue.number(.nan).jsonText == "null")
        #expect(JSONValue.number(12).jsonText == "12")
    }

    /// Every character JSON needs escaped, at the start, the end, side by side and between plain runs, reads back as
    /// it was written, with no control character left raw.
    @Test func everyEscapeReadsBackWhereverItStands() throws {
        let specials = (0..<0x20).map { String(UnicodeScalar(UInt8($0))) } + ["\"", "\\"]
        for special in specials {
            for text in [special, special + "ab", "ab" + special, "a" + special + special + "é/b", "", "plain ünïcödé 😀"] {
                let written = JSONValue.string(text).jsonText
                #expect(try JSONValue.parse(written.utf8) == .string(text), "\(written)")
                #expect(!written.unicodeScalars.dropFirst().dropLast().contains { $0.value < 0x20 }, "\(written)")
            }
        }
        #expect(JSONValue.string("\t\r\u{8}\u{c}\u{1f}").jsonText == #""\t\r\b\f\u001f""#)
    }

    @Test(arguments: [
        #"{"flow":{"position":{"idle":{}}},"context":{}}"#,
        #"{"flow":{"position":{"sleeping":{}}},"context":{},"profile":{}}"#,
        #"{"flow":{"position":{"awaitingAnswer":{"nodeID":"q"}}},"context":{},"profile":{}}"#,
        #"{"flow":{"position":{"idle":{}}},"context":{},"profile":{},"handover":{"phase":"dancing","nodeID":"h","number":1,"syncedThrough":0}}"#,
        #"{"flow":{"position":{"idle":{}}},"context":{},"profile":{},"handover":{"phase":"active","nodeID":"h","number":1.5,"syncedThrough":0}}"#,
        "[]",
    ])
    func malformedStatesAreErrorsNamingThePlace(_ text: String) {
        #expect(throws: JSONShapeError.self) { try ConversationState(storageText: text) }
    }
}
