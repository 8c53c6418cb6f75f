public import BatonCore
import Foundation
import Yams

/// Reads a flow file (YAML) into a `Flow`, reporting every problem with its line.
///
/// The format is documented in `docs/flows.md`.
public struct FlowLoader: Sendable {
    let overrides: Overrides

    init(overrides: Overrides) { self.overrides = overrides }

    public init() { self.overrides = Overrides(environment: [:]) }

    /// Loads the flow file at `path` on its own (as `baton check flow.yaml` does).
    public func load(path: String) throws(ConfigurationError) -> (Flow, warnings: [Diagnostic]) {
        let sink = DiagnosticSink()
        let origin = YAMLValue(node: nil, path: "", file: path, fallbackLine: 1, overrides: overrides)
        guard let flow = load(path: path, referencedFrom: origin, sink: sink), !sink.hasErrors else {
            throw ConfigurationError(diagnostics: sink.diagnostics)
        }
        return (flow, sink.diagnostics)
    }

    /// Parses flow text.
    public func parse(text: String, file: String) throws(ConfigurationError) -> (Flow, warnings: [Diagnostic]) {
        let sink = DiagnosticSink()
        guard let flow = parse(text: text, file: file, sink: sink), !sink.hasErrors else {
            throw ConfigurationError(diagnostics: sink.diagnostics)
        }
        return (flow, sink.diagnostics)
    }

    func load(path: String, referencedFrom origin: YAMLValue, sink: DiagnosticSink) -> Flow? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            sink.error(origin, "cannot read the flow file '\(path)'")
            return nil
        }
        return parse(text: text, file: path, sink: sink)
    }

    func parse(text: String, file: String, sink: DiagnosticSink) -> Flow? {
        guard let root = YAMLDocument.parse(text, file: file, overrides: overrides, sink: sink),
            let top = root.mapping(allowed: ["name", "intents", "nodes"], sink)
        else { return nil }
        let name = top.has("name") ? top["name"].string(sink) ?? file : (file as NSString).lastPathComponent
        var nodes: [FlowNode] = []
        if let nodesValue = top.required("nodes", sink), let list = nodesValue.sequence(sink) {
            if list.isEmpty { sink.error(nodesValue, "a flow needs at least one node") }
            for (index, value) in list.enumerated() {
                if let node = NodeReader(sink: sink).node(value, position: index + 1) { nodes.append(node) }
            }
        }
        var intents: [Intent] = []
        if top.has("intents"), let list = top["intents"].sequence(sink) {
            intents = list.compactMap { readIntent($0, sink) }
        }
        let flow = Flow(name: name, nodes: nodes, intents: intents)
        FlowValidator(flow: flow, sink: sink).validate()
        return flow
    }

    func readIntent(_ value: YAMLValue, _ sink: DiagnosticSink) -> Intent? {
        guard let members = value.mapping(allowed: ["name", "keywords", "patterns", "goto"], sink) else { return nil }
        let name = members.has("name") ? members["name"].string(sink) ?? value.path : value.path
        let keywords = members.has("keywords") ? members["keywords"].strings(sink) ?? [] : []
        var patterns: [String] = []
        if members.has("patterns") {
            // One pattern or a list; each is reported at its own line.
            let value = members["patterns"]
            let items: [YAMLValue]
            if let node = value.node, case .scalar = node { items = [value] } else { items = value.sequence(sink) ?? [] }
            for item in items {
                guard let pattern = item.string(sink) else { continue }
                do { _ = try Regex(pattern) } catch { sink.error(item, "invalid regular expression '\(pattern)': \(error)") }
                patterns.append(pattern)
            }
        }
        if keywords.isEmpty, patterns.isEmpty { sink.error(value, "an intent needs keywords or patterns") }
        guard let target = members.required("goto", sink)?.string(sink) else { return nil }
        return Intent(name: name, keywords: keywords, patterns: patterns, target: target, location: value.location)
    }
}

/// Checks that hold across nodes: unique ids and jump targets that exist.
struct FlowValidator {
    let flow: Flow
    let sink: DiagnosticSink

    func validate() {
        var seen: [String: SourceLocation] = [:]
        for node in flow.nodes {
            if let first = seen[node.id], let location = node.location {
                sink.add(Diagnostic(at: location, path: "nodes", "duplicate node id '\(node.id)' (first used at line \(first.line))"))
            }
            if let location = node.location { seen[node.id] = seen[node.id] ?? location }
            for target in Self.targets(of: node) where flow.index(of: target) == nil {
                sink.add(Diagnostic(at: node.location ?? SourceLocation(file: "", line: 1), path: "nodes", "node '\(node.id)' jumps to unknown node '\(target)'\(hint(target))"))
            }
        }
        for intent in flow.intents where flow.index(of: intent.target) == nil {
            sink.add(Diagnostic(at: intent.location ?? SourceLocation(file: "", line: 1), path: "intents", "intent '\(intent.name)' jumps to unknown node '\(intent.target)'\(hint(intent.target))"))
        }
    }

    func hint(_ target: String) -> String {
        let ids = flow.nodes.map(\.id)
        return YAMLValue.closest(target, in: ids).map { " (did you mean '\($0)'?)" } ?? ""
    }

    static func targets(of node: FlowNode) -> [String] {
        switch node.kind {
        case .branch(let branch): [branch.then, branch.otherwise].compactMap { $0 }
        case .switchOn(let switchNode): switchNode.cases.map(\.target) + [switchNode.defaultTarget].compactMap { $0 }
        case .goto(let target): [target]
        case .question(let question): [question.onFailure].compactMap { $0 }
        case .handover(let handover): [handover.onResolve].compactMap { $0 }
        case .bot(let bot): bot.exits.sorted { $0.key < $1.key }.map(\.value)
        case .say, .set, .end: []
        }
    }
}
