import BatonCore
import Foundation
import Testing

@testable import BatonConfig

/// A template from text that is known to parse.
private func template(_ text: String) -> Template {
    do { return try Template(parsing: text) } catch { fatalError("bad test template '\(text)': \(error)") }
}

private func message(_ text: String, quickReplies: [QuickReplyTemplate] = [], attachments: [AttachmentTemplate] = []) -> MessageTemplate {
    MessageTemplate(text: template(text), quickReplies: quickReplies, attachments: attachments)
}

private func reply(_ title: String, payload: String? = nil) -> QuickReplyTemplate {
    QuickReplyTemplate(title: template(title), payload: payload.map(template))
}

/// The expression's text without the blanks around it (the loader strips `{{ }}` from single-hole expressions).
private func trimmed(_ expression: BatonCore.Expression?) -> String? {
    expression?.source.trimmingCharacters(in: .whitespaces)
}

@Suite final class FlowLoaderTests {
    let files: FixtureDirectory

    init() throws { files = try FixtureDirectory() }
    deinit { files.remove() }

    /// Writes `text` to `flow.yaml` and loads it as `baton check flow.yaml` does.
    func load(_ text: String) throws -> Flow {
        let path = try files.write("flow.yaml", text)
        let (flow, warnings) = try FlowLoader().load(path: path)
        #expect(warnings.isEmpty)
        return flow
    }

    /// Writes `text` to `flow.yaml`, expects loading to fail and returns the file's path and the diagnostics.
    func failure(_ text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> (String, [Diagnostic]) {
        let path = try files.write("flow.yaml", text)
        return (path, failureDiagnostics(sourceLocation: sourceLocation) { try FlowLoader().load(path: path) })
    }

    // MARK: Node kinds

    @Test func sayShortAndLongForms() throws {
        let flow = try load(
            """
            name: Greeter
            nodes:
              - say: "Hello {{ profile.name }}!"
              - id: rich
                say:
                  text: Pick one
                  quickReplies:
                    - Yes please
                    - { title: Nope, payload: "no-thanks" }
                  attachments:
                    - image: https://example.com/cat.png
                    - { type: file, url: "https://example.com/a.pdf", name: "{{ context.file }}" }
              - say:
                  attachments:
                    - { gif: "https://example.com/x.gif", name: x.gif }
                    - { video: "{{ context.videoURL }}" }
            """)
        #expect(flow.name == "Greeter")
        #expect(flow.intents.isEmpty)
        #expect(flow.nodes.map(\.id) == ["node-1", "rich", "node-3"])
        #expect(flow.nodes.map { $0.location?.line } == [3, 4, 13])
        #expect(flow.nodes.allSatisfy { $0.location?.file == files.path("flow.yaml") })
        #expect(flow.nodes[0].kind == .say(SayNode(message: message("Hello {{ profile.name }}!"))))
        let rich = message(
            "Pick one", quickReplies: [reply("Yes please"), reply("Nope", payload: "no-thanks")],
            attachments: [
                AttachmentTemplate(kind: .image, url: template("https://example.com/cat.png")),
                AttachmentTemplate(kind: .file, url: template("https://example.com/a.pdf"), name: template("{{ context.file }}")),
            ])
        #expect(flow.nodes[1].kind == .say(SayNode(message: rich)))
        let media = MessageTemplate(attachments: [
            AttachmentTemplate(kind: .gif, url: template("https://example.com/x.gif"), name: template("x.gif")),
            AttachmentTemplate(kind: .video, url: template("{{ context.videoURL }}")),
        ])
        #expect(flow.nodes[2].kind == .say(SayNode(message: media)))
    }

    @Test func flowNameDefaultsToTheFileName() throws {
        let flow = try load("nodes:\n  - say: hi\n")
        #expect(flow.name == "flow.yaml")
    }

    @Test func questionsOfEveryType() throws {
        let flow = try load(
            #"""
            nodes:
              - question: { text: "Name?", store: name }
              - question:
                  text: "How many minutes are in two hours?"
                  type: number
                  store: quiz.answer
                  maxAttempts: 5
                  reprompt: "Digits, please (attempt {{ input.attempts }})."
                  onFailure: done
              - question: { text: "Email?", type: email, store: context.email }
              - question:
                  text: "OK?"
                  type: yesno
                  store: context.answers.ok
                  reprompt: { text: "Yes or no?", quickReplies: ["Yes", "No"] }
              - question: { text: "Code?", type: pattern, pattern: '[A-Z]{3}-\d+', store: code }
              - question:
                  text: "Anything?"
                  type: text
                  store: any
                  quickReplies: [a, { title: b, payload: B }]
                  attachments: [{ image: "https://example.com/x.png" }]
              - id: done
                end:
            """#)
        let questions = flow.nodes.compactMap { node -> QuestionNode? in
            if case .question(let question) = node.kind { question } else { nil }
        }
        try #require(questions.count == 6)
        #expect(questions[0] == QuestionNode(prompt: message("Name?"), answerType: .text, storePath: ["name"]))
        #expect(
            questions[1]
                == QuestionNode(
                    prompt: message("How many minutes are in two hours?"), answerType: .number, storePath: ["quiz", "answer"],
                    reprompt: message("Digits, please (attempt {{ input.attempts }})."), maxAttempts: 5, onFailure: "done"))
        #expect(questions[2] == QuestionNode(prompt: message("Email?"), answerType: .email, storePath: ["email"]))
        #expect(
            questions[3]
                == QuestionNode(
                    prompt: message("OK?"), answerType: .yesNo, storePath: ["answers", "ok"],
                    reprompt: message("Yes or no?", quickReplies: [reply("Yes"), reply("No")])))
        #expect(questions[4] == QuestionNode(prompt: message("Code?"), answerType: .pattern(#"[A-Z]{3}-\d+"#), storePath: ["code"]))
        #expect(
            questions[5]
                == QuestionNode(
                    prompt: message(
                        "Anything?", quickReplies: [reply("a"), reply("b", payload: "B")],
                        attachments: [AttachmentTemplate(kind: .image, url: template("https://example.com/x.png"))]),
                    answerType: .text, storePath: ["any"]))
        #expect(questions.map(\.maxAttempts) == [3, 5, 3, 3, 3, 3])
    }

    @Test func ifAndSwitch() throws {
        let flow = try load(
            """
            nodes:
              - if: "{{ context.age >= 18 }}"
                then: adult
                else: minor
              - if: context.vip
                else: minor
              - id: adult
                switch: "{{ context.answer }}"
                cases:
                  - { equals: 1, goto: one }
                  - { equals: 2.5, goto: one }
                  - { equals: true, goto: flag }
                  - { equals: "1", goto: text }
                  - { equals: gold, goto: text }
                  - { equals: null, goto: text }
                  - { when: "context.answer > 10", goto: many }
                default: minor
              - id: minor
                switch:
                cases:
                  - when: "{{ contains(input.text, 'x') }}"
                    goto: one
              - { id: one, say: one }
              - { id: flag, say: flag }
              - { id: text, say: text }
              - { id: many, end: many }
            """)
        guard case .branch(let first) = flow.nodes[0].kind, case .branch(let second) = flow.nodes[1].kind,
            case .switchOn(let typed) = flow.nodes[2].kind, case .switchOn(let bare) = flow.nodes[3].kind
        else {
            Issue.record("unexpected node kinds: \(flow.nodes.map(\.kind))")
            return
        }
        #expect(trimmed(first.condition) == "context.age >= 18")
        #expect(try first.condition.evaluate(in: ["context": ["age": 20]]) == .bool(true))
        #expect(first.then == "adult")
        #expect(first.otherwise == "minor")
        #expect(trimmed(second.condition) == "context.vip")
        #expect(second.then == nil)
        #expect(second.otherwise == "minor")

        #expect(trimmed(typed.value) == "context.answer")
        #expect(typed.defaultTarget == "minor")
        #expect(typed.cases.map(\.target) == ["one", "one", "flag", "text", "text", "text", "many"])
        let equals = typed.cases.compactMap { candidate -> JSONValue? in
            if case .equals(let value) = candidate.match { value } else { nil }
        }
        #expect(equals == [.number(1), .number(2.5), .bool(true), .string("1"), .string("gold"), .null])
        guard case .when(let condition)? = typed.cases.last?.match else {
            Issue.record("expected a 'when' case")
            return
        }
        #expect(trimmed(condition) == "context.answer > 10")

        #expect(bare.value == nil)
        #expect(bare.defaultTarget == nil)
        #expect(bare.cases.count == 1)
        guard case .when(let contains)? = bare.cases.first?.match else {
            Issue.record("expected a 'when' case")
            return
        }
        #expect(trimmed(contains) == "contains(input.text, 'x')")
        #expect(try contains.evaluate(in: ["input": ["text": "xyz"]]) == .bool(true))
    }

    @Test func setContextAndProfile() throws {
        let flow = try load(
            """
            nodes:
              - set:
                  context.name: "{{ input.text }}"
                  profile.tier: gold
                  context.user.age: "{{ number(input.text) }}"
                  profile.vip_since-2024: "{{ true }}"
            """)
        #expect(
            flow.nodes[0].kind
                == .set(
                    SetNode(assignments: [
                        SetNode.Assignment(root: .context, path: ["name"], value: template("{{ input.text }}")),
                        SetNode.Assignment(root: .profile, path: ["tier"], value: template("gold")),
                        SetNode.Assignment(root: .context, path: ["user", "age"], value: template("{{ number(input.text) }}")),
                        SetNode.Assignment(root: .profile, path: ["vip_since-2024"], value: template("{{ true }}")),
                    ])))
    }

    @Test func gotoHandoverAndEnd() throws {
        let flow = try load(
            """
            nodes:
              - id: start
                goto: agent
              - id: agent
                handover: { inboxId: 3 }
              - handover:
                  provider: chatwoot
                  inboxId: "{{ profile.tier == 'vip' ? 2 : 1 }}"
                  acceptedMessage: "You're in the queue, {{ profile.name }}."
                  cancelKeywords: [cancel, "never mind"]
                  cancelButton: Cancel
                  onResolve: bye
              - handover: { cancelKeywords: stop }
              - handover:
              - id: bye
                end: "Bye {{ profile.name }}"
              - end:
              - end: { text: Done, quickReplies: [Again] }
            """)
        #expect(flow.nodes.map(\.id) == ["start", "agent", "node-3", "node-4", "node-5", "bye", "node-7", "node-8"])
        let expected: [FlowNode.Kind] = [
            .goto("agent"),
            .handover(HandoverNode(provider: "chatwoot", inbox: template("3"))),
            .handover(
                HandoverNode(
                    provider: "chatwoot", inbox: template("{{ profile.tier == 'vip' ? 2 : 1 }}"),
                    acceptedMessage: message("You're in the queue, {{ profile.name }}."), cancelKeywords: ["cancel", "never mind"],
                    cancelButton: "Cancel", onResolve: "bye")),
            .handover(HandoverNode(provider: "chatwoot", cancelKeywords: ["stop"])),
            .handover(HandoverNode(provider: "chatwoot")),
            .end(EndNode(message: message("Bye {{ profile.name }}"))),
            .end(EndNode()),
            .end(EndNode(message: message("Done", quickReplies: [reply("Again")]))),
        ]
        #expect(flow.nodes.map(\.kind) == expected)
    }

    @Test func handoverRouting() throws {
        let flow = try load(
            """
            nodes:
              - handover:
                  team: 4
                  assignee: "{{ context.agent }}"
                  priority: high
                  labels: [vip, "{{ context.topic }}"]
                  attributes: { tier: "{{ profile.tier }}", score: 3 }
            """)
        guard case .handover(let node) = flow.nodes[0].kind else {
            Issue.record("not a handover node")
            return
        }
        #expect(node.team?.source == "{{ 4 }}", "a plain number stays a number")
        #expect(node.assignee == template("{{ context.agent }}"))
        #expect(node.priority == template("high"))
        #expect(node.labels == [template("vip"), template("{{ context.topic }}")])
        #expect(node.attributes["tier"] == template("{{ profile.tier }}"))
        let diagnostics = failureDiagnostics { try FlowLoader().parse(text: "nodes:\n  - handover: { priority: asap }\n", file: "inline.yaml") }
        #expect(diagnostics.map(\.message) == ["priority must be one of low, medium, high, urgent or an expression, found 'asap'"])
    }

    @Test func handoverNotesTimersAndSaysForTheAgents() throws {
        let flow = try load(
            """
            nodes:
              - say: "VIP: {{ profile.tier }}"
                to: agent
              - say: "We will call you."
                to: both
              - handover:
                  note: "Why: {{ input.trigger }}"
                  inactivity: { userSeconds: 600, agentSeconds: 120 }
                  reminder: { everySeconds: 45, times: 2 }
            """)
        guard case .say(let agent) = flow.nodes[0].kind, case .say(let both) = flow.nodes[1].kind, case .handover(let node) = flow.nodes[2].kind else {
            Issue.record("unexpected node kinds")
            return
        }
        #expect(agent.to == .agent && both.to == .both)
        #expect(node.note == template("Why: {{ input.trigger }}"))
        #expect(node.timers == HandoverTimers(userInactivity: 600, agentInactivity: 120, reminderEvery: 45, reminderTimes: 2))
        let diagnostics = failureDiagnostics {
            try FlowLoader().parse(text: "nodes:\n  - say: hi\n    to: boss\n  - goto: x\n    to: agent\n  - id: x\n    end: bye\n", file: "inline.yaml")
        }
        #expect(diagnostics.map(\.message) == ["'to' is one of user, agent, both, found 'boss'", "'to' belongs to a 'say' node, not a 'goto' node"])
    }

    @Test func intents() throws {
        let flow = try load(
            """
            intents:
              - name: human
                keywords: [agent, "real person"]
                patterns: ["talk to (a|an) human"]
                goto: agent
              - keywords: restart
                goto: start
            nodes:
              - id: start
                say: hi
              - id: agent
                handover: {}
            """)
        let file = files.path("flow.yaml")
        #expect(
            flow.intents == [
                Intent(
                    name: "human", keywords: ["agent", "real person"], patterns: ["talk to (a|an) human"], target: "agent",
                    location: BatonCore.SourceLocation(file: file, line: 2, column: 5)),
                Intent(name: "intents[1]", keywords: ["restart"], target: "start", location: BatonCore.SourceLocation(file: file, line: 6, column: 5)),
            ])
    }

    @Test func nodeIDsCountEveryNodeFromOne() throws {
        let flow = try load(
            """
            nodes:
              - say: a
              - id: named
                say: b
              - say: c
              - goto: node-3
            """)
        #expect(flow.nodes.map(\.id) == ["node-1", "named", "node-3", "node-4"])
        #expect(flow.nodes[3].kind == .goto("node-3"))
    }

    @Test func parsesTextWithoutAFile() throws {
        let (flow, warnings) = try FlowLoader().parse(text: "nodes:\n  - end: Bye\n", file: "inline.yaml")
        #expect(warnings.isEmpty)
        #expect(flow.name == "inline.yaml")
        #expect(flow.nodes.first?.location == BatonCore.SourceLocation(file: "inline.yaml", line: 2, column: 5))
        let diagnostics = failureDiagnostics { try FlowLoader().parse(text: "nodes:\n  - goto: x\n", file: "inline.yaml") }
        expectDiagnostic(diagnostics, file: "inline.yaml", line: 2, path: "nodes", message: "node 'node-1' jumps to unknown node 'x'")
    }

    @Test func bundledDemoFlowLoadsOnItsOwn() throws {
        let config = try #require(DemoConfiguration.configPath)
        let path = (config as NSString).deletingLastPathComponent + "/flows/demo.yaml"
        let (flow, warnings) = try FlowLoader().load(path: path)
        #expect(warnings.isEmpty)
        #expect(flow.name == "Demo")
        #expect(flow.nodes.first?.id == "welcome")
        #expect(flow.nodes.last?.kind == .end(EndNode(message: message("Goodbye! Say anything to start again."))))
    }

    // MARK: Errors

    @Test func yamlSyntaxErrorReportsItsLine() throws {
        let (path, diagnostics) = try failure("name: Broken\nnodes:\n  - say: hi: there\n  - end:\n")
        #expect(diagnostics.count == 1)
        let diagnostic = try #require(diagnostics.first)
        #expect(diagnostic.location.file == path)
        #expect(diagnostic.location.line == 3)
        #expect(diagnostic.path == "")
        #expect(diagnostic.message.hasPrefix("YAML syntax error: "))
    }

    @Test func unreadableEmptyAndMisshapenFiles() throws {
        let missing = files.path("missing.yaml")
        let unreadable = failureDiagnostics { try FlowLoader().load(path: missing) }
        expectDiagnostic(unreadable, file: missing, line: 1, path: "", message: "cannot read the flow file '\(missing)'")
        #expect(unreadable.count == 1)

        let (empty, emptyDiagnostics) = try failure("# just a comment\n")
        expectDiagnostic(emptyDiagnostics, file: empty, line: 1, path: "", message: "the file is empty")

        let (list, listDiagnostics) = try failure("- say: hi\n")
        expectDiagnostic(listDiagnostics, file: list, line: 1, path: "", message: "expected a mapping (key: value pairs), found a list")

        let (noNodes, noNodesDiagnostics) = try failure("name: x\nnodes: []\n")
        expectDiagnostic(noNodesDiagnostics, file: noNodes, line: 2, path: "nodes", message: "a flow needs at least one node")
    }

    @Test func unknownKeysGetAHint() throws {
        let (path, diagnostics) = try failure(
            """
            nodes:
              - question:
                  text: Age?
                  store: age
                  maxAttempt: 2
              - Say: hi
            intent:
              - keywords: help
                goto: node-1
            """)
        expectDiagnostic(
            diagnostics, file: path, line: 5, path: "nodes[0].question.maxAttempt",
            message: "unknown key 'maxAttempt' (did you mean 'maxAttempts'?); allowed here: text, quickReplies, attachments, type, pattern")
        expectDiagnostic(diagnostics, file: path, line: 6, path: "nodes[1].Say", message: "unknown key 'Say' (did you mean 'say'?)")
        expectDiagnostic(
            diagnostics, file: path, line: 6, path: "nodes[1]", message: "a node needs one of: say, question, if, switch, set, goto, handover, bot, end")
        expectDiagnostic(
            diagnostics, file: path, line: 7, path: "intent", message: "unknown key 'intent' (did you mean 'intents'?); allowed here: name, intents, nodes")
        #expect(diagnostics.count == 4)
    }

    @Test func wrongTypes() throws {
        let (path, diagnostics) = try failure(
            """
            nodes:
              - question: { text: "Age?", store: age, maxAttempts: 0 }
              - question: { text: "Age?", store: age, maxAttempts: lots, type: date }
              - say: [a, b]
              - goto: { node: x }
              - if: context.ok
                then: [node-1]
            """)
        expectDiagnostic(diagnostics, file: path, line: 2, path: "nodes[0].question.maxAttempts", message: "must be between 1 and 100, found 0")
        expectDiagnostic(diagnostics, file: path, line: 3, path: "nodes[1].question.maxAttempts", message: "expected a whole number, found 'lots'")
        expectDiagnostic(
            diagnostics, file: path, line: 3, path: "nodes[1].question.type",
            message: "unknown answer type 'date'; use text, number, email, yesno or pattern")
        expectDiagnostic(diagnostics, file: path, line: 4, path: "nodes[2].say", message: "expected a mapping (key: value pairs), found a list")
        expectDiagnostic(diagnostics, file: path, line: 5, path: "nodes[3].goto", message: "expected a single value, found a mapping")
        expectDiagnostic(diagnostics, file: path, line: 7, path: "nodes[4].then", message: "expected a single value, found a list")
        expectDiagnostic(diagnostics, file: path, line: 6, path: "nodes[4].if", message: "an 'if' node needs 'then' or 'else'")
        #expect(diagnostics.count == 7)
    }

    @Test func missingRequiredKeys() throws {
        let (path, diagnostics) = try failure(
            """
            nodes:
              - question: { text: "Name?" }
              - switch: "{{ context.x }}"
                cases:
                  - { equals: 1 }
              - switch: "{{ context.x }}"
              - id: after
                say: ok
            intents:
              - keywords: [help]
              - goto: after
            """)
        expectDiagnostic(diagnostics, file: path, line: 2, path: "nodes[0].question", message: "missing required key 'store'")
        expectDiagnostic(diagnostics, file: path, line: 5, path: "nodes[1].cases[0]", message: "missing required key 'goto'")
        expectDiagnostic(diagnostics, file: path, line: 6, path: "nodes[2]", message: "missing required key 'cases'")
        expectDiagnostic(diagnostics, file: path, line: 10, path: "intents[0]", message: "missing required key 'goto'")
        expectDiagnostic(diagnostics, file: path, line: 11, path: "intents[1]", message: "an intent needs keywords or patterns")
        #expect(diagnostics.count == 5)

        let (other, noNodes) = try failure("name: Only a name\n")
        expectDiagnostic(noNodes, file: other, line: 1, path: "", message: "missing required key 'nodes'")
        #expect(noNodes.count == 1)
    }

    @Test func nodeShapeMistakes() throws {
        let (path, diagnostics) = try failure(
            """
            nodes:
              - say: hi
                end: bye
              - id: x
                say: hi
                then: x
                cases: []
              - goto: x
                else: x
              - if: context.ok
                default: x
              - switch:
                cases:
                  - { equals: 1, goto: x }
                  - { equals: 2, when: "true", goto: x }
              - say: {}
              - question: { store: x }
              - id: ""
                say: empty id
            """)
        expectDiagnostic(diagnostics, file: path, line: 2, path: "nodes[0]", message: "a node has exactly one kind, found say and end")
        expectDiagnostic(diagnostics, file: path, line: 6, path: "nodes[1].then", message: "'then' belongs to an 'if' node, not a 'say' node")
        expectDiagnostic(diagnostics, file: path, line: 7, path: "nodes[1].cases", message: "'cases' belongs to a 'switch' node, not a 'say' node")
        expectDiagnostic(diagnostics, file: path, line: 9, path: "nodes[2].else", message: "'else' belongs to an 'if' node, not a 'goto' node")
        expectDiagnostic(diagnostics, file: path, line: 11, path: "nodes[3].default", message: "'default' belongs to a 'switch' node, not a 'if' node")
        expectDiagnostic(diagnostics, file: path, line: 10, path: "nodes[3].if", message: "an 'if' node needs 'then' or 'else'")
        expectDiagnostic(
            diagnostics, file: path, line: 14, path: "nodes[4].cases[0].equals", message: "'equals' needs a value to compare: write it after 'switch:'")
        expectDiagnostic(diagnostics, file: path, line: 15, path: "nodes[4].cases[1]", message: "a case has either 'equals' or 'when'")
        expectDiagnostic(diagnostics, file: path, line: 16, path: "nodes[5].say", message: "a message needs text, quickReplies, attachments or cards")
        expectDiagnostic(diagnostics, file: path, line: 17, path: "nodes[6].question", message: "a question needs text to ask")
        expectDiagnostic(diagnostics, file: path, line: 18, path: "nodes[7].id", message: "a node id must not be empty")
        #expect(diagnostics.count == 11)
    }

    @Test func duplicateNodeIDs() throws {
        let (path, diagnostics) = try failure(
            """
            nodes:
              - id: ask
                say: a
              - say: b
              - id: ask
                say: c
              - id: node-2
                say: d
            """)
        expectDiagnostic(diagnostics, file: path, line: 5, path: "nodes", message: "duplicate node id 'ask' (first used at line 2)")
        expectDiagnostic(diagnostics, file: path, line: 7, path: "nodes", message: "duplicate node id 'node-2' (first used at line 4)")
        #expect(diagnostics.count == 2)
    }

    @Test func jumpsToUnknownNodes() throws {
        let (path, diagnostics) = try failure(
            """
            intents:
              - name: help
                keywords: help
                goto: helpdesk
            nodes:
              - id: start
                goto: en
              - if: "{{ true }}"
                then: nowhere
              - question: { text: "Age?", type: number, store: age, onFailure: fail }
              - handover: { onResolve: resolved }
              - switch:
                cases:
                  - { when: "input.text == 'a'", goto: a-node }
                default: b-node
              - id: end
                end:
            """)
        expectDiagnostic(diagnostics, file: path, line: 6, path: "nodes", message: "node 'start' jumps to unknown node 'en' (did you mean 'end'?)")
        expectDiagnostic(diagnostics, file: path, line: 8, path: "nodes", message: "node 'node-2' jumps to unknown node 'nowhere'")
        expectDiagnostic(diagnostics, file: path, line: 10, path: "nodes", message: "node 'node-3' jumps to unknown node 'fail'")
        expectDiagnostic(diagnostics, file: path, line: 11, path: "nodes", message: "node 'node-4' jumps to unknown node 'resolved'")
        expectDiagnostic(diagnostics, file: path, line: 12, path: "nodes", message: "node 'node-5' jumps to unknown node 'a-node'")
        expectDiagnostic(diagnostics, file: path, line: 12, path: "nodes", message: "node 'node-5' jumps to unknown node 'b-node'")
        expectDiagnostic(diagnostics, file: path, line: 2, path: "intents", message: "intent 'help' jumps to unknown node 'helpdesk'")
        #expect(diagnostics.count == 7)
    }

    @Test func aNodeWithErrorsKeepsItsID() throws {
        // Jumps to a node that has errors of its own are not reported as jumps to an unknown node.
        let (path, diagnostics) = try failure(
            """
            nodes:
              - id: welcome
                say: "Hi {{ profile.name }"
              - id: menu
                say: hi
                end: bye
              - goto: welcome
              - if: context.again
                then: menu
              - id: welcome
                end:
            """)
        expectDiagnostic(diagnostics, file: path, line: 3, path: "nodes[0].say", message: "in 'Hi {{ profile.name }': column 4: unclosed '{{'")
        expectDiagnostic(diagnostics, file: path, line: 4, path: "nodes[1]", message: "a node has exactly one kind, found say and end")
        expectDiagnostic(diagnostics, file: path, line: 10, path: "nodes", message: "duplicate node id 'welcome' (first used at line 2)")
        #expect(diagnostics.count == 3)
    }

    @Test func badExpressionsReportTheirColumn() throws {
        let (path, diagnostics) = try failure(
            """
            nodes:
              - say: "Hi {{ context.name + }}"
              - say:
                  text: ok
                  quickReplies: ["{{ upper(1, 2) }}"]
              - if: "{{ context.age > }}"
                then: node-1
              - switch: "{{ lower(context.x }}"
                cases:
                  - { when: "context.x = 1", goto: node-1 }
              - set:
                  context.total: "{{ context.a + }} items"
              - say: "Hello {{ name }}"
              - say: "Oops {{ context.x"
            """)
        expectDiagnostic(
            diagnostics, file: path, line: 2, path: "nodes[0].say",
            message: "in 'Hi {{ context.name + }}': column 22: expected an expression, found the end of the expression")
        expectDiagnostic(
            diagnostics, file: path, line: 5, path: "nodes[1].say.quickReplies[0]",
            message: "in '{{ upper(1, 2) }}': column 4: upper expects 1 argument, got 2")
        // Columns of `if`, `switch` and `when` expressions count in the text as written, braces included.
        expectDiagnostic(
            diagnostics, file: path, line: 6, path: "nodes[2].if",
            message: "in '{{ context.age > }}': column 18: expected an expression, found the end of the expression")
        expectDiagnostic(
            diagnostics, file: path, line: 8, path: "nodes[3].switch",
            message: "in '{{ lower(context.x }}': column 20: expected ')' to close '(' opened at column 9, found the end of the expression")
        expectDiagnostic(
            diagnostics, file: path, line: 10, path: "nodes[3].cases[0].when",
            message: "in 'context.x = 1': column 11: unexpected '='; use '==' to compare")
        expectDiagnostic(
            diagnostics, file: path, line: 12, path: "nodes[4].set.context.total",
            message: "in '{{ context.a + }} items': column 16: expected an expression")
        expectDiagnostic(
            diagnostics, file: path, line: 13, path: "nodes[5].say",
            message: "in 'Hello {{ name }}': column 10: unknown name 'name'; use input, context, profile or session")
        expectDiagnostic(
            diagnostics, file: path, line: 14, path: "nodes[6].say", message: "in 'Oops {{ context.x': column 6: unclosed '{{'")
        #expect(diagnostics.count == 8)
    }

    @Test func badRegularExpressions() throws {
        let (path, diagnostics) = try failure(
            """
            intents:
              - name: broken
                patterns:
                  - "fine"
                  - "(unclosed"
                goto: start
              - patterns: "[z-a]"
                goto: start
            nodes:
              - id: start
                question:
                  text: Code?
                  type: pattern
                  pattern: "[a-"
                  store: code
              - question: { text: "x", pattern: "a+", store: x }
              - question: { text: "x", type: pattern, store: x }
            """)
        expectDiagnostic(diagnostics, file: path, line: 5, path: "intents[0].patterns[1]", message: "invalid regular expression '(unclosed'")
        expectDiagnostic(diagnostics, file: path, line: 7, path: "intents[1].patterns", message: "invalid regular expression '[z-a]'")
        expectDiagnostic(diagnostics, file: path, line: 14, path: "nodes[0].question.pattern", message: "invalid regular expression")
        expectDiagnostic(diagnostics, file: path, line: 16, path: "nodes[1].question.pattern", message: "'pattern' needs 'type: pattern'")
        expectDiagnostic(diagnostics, file: path, line: 17, path: "nodes[2].question", message: "missing required key 'pattern'")
        #expect(diagnostics.count == 5)
    }

    @Test func attachmentsInboxesAndProviders() throws {
        let (path, diagnostics) = try failure(
            """
            nodes:
              - say:
                  attachments:
                    - image: ftp://example.com/cat.png
                    - { type: file, url: "javascript:alert(1)" }
                    - { type: sticker, url: "https://example.com/s.png" }
                    - { video: "{{ context.videoURL }}" }
                    - { name: nameless.png }
              - handover: { inboxId: support }
              - handover: { inboxId: "{{ profile.inbox }}", provider: zendesk }
              - handover: { inboxId: 2.5 }
            """)
        expectDiagnostic(
            diagnostics, file: path, line: 4, path: "nodes[0].say.attachments[0].image",
            message: "attachment URLs must be absolute http(s) URLs, found 'ftp://example.com/cat.png'")
        expectDiagnostic(
            diagnostics, file: path, line: 5, path: "nodes[0].say.attachments[1].url",
            message: "attachment URLs must be absolute http(s) URLs, found 'javascript:alert(1)'")
        expectDiagnostic(
            diagnostics, file: path, line: 6, path: "nodes[0].say.attachments[2].type",
            message: "unknown attachment type 'sticker'; use one of image, gif, video, audio, file")
        expectDiagnostic(diagnostics, file: path, line: 8, path: "nodes[0].say.attachments[4]", message: "missing required key 'type'")
        expectDiagnostic(diagnostics, file: path, line: 8, path: "nodes[0].say.attachments[4]", message: "missing required key 'url'")
        expectDiagnostic(
            diagnostics, file: path, line: 9, path: "nodes[1].handover.inboxId",
            message: "inboxId must be a number or an expression in {{ }}, found 'support'")
        expectDiagnostic(
            diagnostics, file: path, line: 10, path: "nodes[2].handover.provider", message: "unknown handover provider 'zendesk'; supported: chatwoot")
        expectDiagnostic(
            diagnostics, file: path, line: 11, path: "nodes[3].handover.inboxId",
            message: "inboxId must be a number or an expression in {{ }}, found '2.5'")
        #expect(diagnostics.count == 8)
    }

    @Test func setAndStorePaths() throws {
        let (path, diagnostics) = try failure(
            """
            nodes:
              - set:
                  name: "{{ input.text }}"
                  context.: x
                  profile.tier: gold
                  user.age: 3
              - set: {}
              - question: { text: "x", store: "a..b" }
              - set: hello
            """)
        expectDiagnostic(diagnostics, file: path, line: 3, path: "nodes[0].set.name", message: "'name' must start with context. or profile.")
        expectDiagnostic(
            diagnostics, file: path, line: 4, path: "nodes[0].set.context.", message: "'context.' is not a valid path (use names separated by dots)")
        expectDiagnostic(diagnostics, file: path, line: 6, path: "nodes[0].set.user.age", message: "'user.age' must start with context. or profile.")
        expectDiagnostic(diagnostics, file: path, line: 7, path: "nodes[1].set", message: "'set' needs at least one 'context.name: value'")
        expectDiagnostic(diagnostics, file: path, line: 8, path: "nodes[2].question.store", message: "'a..b' is not a valid path")
        expectDiagnostic(diagnostics, file: path, line: 9, path: "nodes[3].set", message: "expected a mapping (key: value pairs), found the value 'hello'")
        #expect(diagnostics.count == 6)
    }

    @Test func everyProblemInAFileIsReportedAtOnce() throws {
        let (path, diagnostics) = try failure(
            """
            name: Many problems
            intents:
              - keywords: [help]
                goto: helpp
            nodes:
              - id: welcome
                say: "Hi {{ profile.name }}"
              - question: { text: "Age?", type: number, store: age, maxAttempts: 0 }
              - id: welcome
                goto: nowhere
              - set: { name: x }
              - handover: { provider: zendesk, inboxId: main }
              - colour: blue
              - say: "Oops {{ profile.name "
            """)
        expectDiagnostic(diagnostics, file: path, line: 14, path: "nodes[6].say", message: "in 'Oops {{ profile.name ': column 6: unclosed '{{'")
        expectDiagnostic(diagnostics, file: path, line: 8, path: "nodes[1].question.maxAttempts", message: "must be between 1 and 100")
        expectDiagnostic(diagnostics, file: path, line: 11, path: "nodes[3].set.name", message: "must start with context. or profile.")
        expectDiagnostic(diagnostics, file: path, line: 12, path: "nodes[4].handover.provider", message: "unknown handover provider 'zendesk'")
        expectDiagnostic(diagnostics, file: path, line: 12, path: "nodes[4].handover.inboxId", message: "inboxId must be a number")
        expectDiagnostic(diagnostics, file: path, line: 13, path: "nodes[5].colour", message: "unknown key 'colour'")
        expectDiagnostic(diagnostics, file: path, line: 13, path: "nodes[5]", message: "a node needs one of")
        expectDiagnostic(diagnostics, file: path, line: 9, path: "nodes", message: "duplicate node id 'welcome' (first used at line 6)")
        expectDiagnostic(diagnostics, file: path, line: 9, path: "nodes", message: "node 'welcome' jumps to unknown node 'nowhere'")
        expectDiagnostic(diagnostics, file: path, line: 3, path: "intents", message: "intent 'intents[0]' jumps to unknown node 'helpp'")
        #expect(diagnostics.count == 10)
        #expect(diagnostics.allSatisfy { $0.severity == .error && $0.location.file == path })
        // All of them arrive in one error, whose description lists them as `file:line:column: error: path: message`.
        #expect(ConfigurationError(diagnostics: diagnostics).description.split(separator: "\n").count == 10)
    }
}
