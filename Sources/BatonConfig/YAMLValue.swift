import BatonCore
import Yams

/// Collects diagnostics while a file is read, so that one run reports every problem, not just the first.
final class DiagnosticSink {
    private(set) var diagnostics: [Diagnostic] = []
    func error(_ value: YAMLValue, _ message: String) {
        diagnostics.append(Diagnostic(.error, at: value.location, path: value.path, message))
    }
    func warning(_ value: YAMLValue, _ message: String) {
        diagnostics.append(Diagnostic(.warning, at: value.location, path: value.path, message))
    }
    func add(_ diagnostic: Diagnostic) { diagnostics.append(diagnostic) }
    var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
}

/// A YAML node with its key path and position, and typed accessors that report what is wrong with it.
///
/// Every scalar setting can be overridden by an environment variable named after its key path
/// (`server.port` → `BATON_SERVER_PORT`, `endpoints.demo.handover.chatwoot.apiAccessToken` →
/// `BATON_ENDPOINTS_DEMO_HANDOVER_CHATWOOT_API_ACCESS_TOKEN`); `Overrides` does the lookup.
struct YAMLValue {
    let node: Node?
    let path: String
    let file: String
    let fallbackLine: Int
    let overrides: Overrides

    var location: SourceLocation {
        SourceLocation(file: file, line: node?.mark?.line ?? fallbackLine, column: node?.mark?.column ?? 1)
    }

    var isNull: Bool {
        guard let node else { return true }
        if case .scalar(let scalar) = node { return scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string) }
        return false
    }

    func child(_ key: String, _ node: Node?) -> YAMLValue {
        YAMLValue(node: node, path: path.isEmpty ? key : "\(path).\(key)", file: file, fallbackLine: self.node?.mark?.line ?? fallbackLine, overrides: overrides)
    }

    /// The mapping's members; unknown keys are reported (`allowed` nil accepts any key).
    func mapping(allowed: [String]?, _ sink: DiagnosticSink) -> YAMLMapping? {
        guard let node, case .mapping(let mapping) = node else {
            sink.error(self, "expected a mapping (key: value pairs), found \(kindName)")
            return nil
        }
        var members: [(String, YAMLValue)] = []
        for (key, value) in mapping {
            guard case .scalar(let keyScalar) = key else {
                sink.error(child("?", key), "keys must be plain strings")
                continue
            }
            let name = keyScalar.string
            let member = child(name, value)
            if let allowed, !allowed.contains(name) {
                let hint = Self.closest(name, in: allowed).map { " (did you mean '\($0)'?)" } ?? ""
                // Reported at the key: a mapping or list value starts on a later line.
                sink.error(member.at(key), "unknown key '\(name)'\(hint); allowed here: \(allowed.joined(separator: ", "))")
                continue
            }
            members.append((name, member))
        }
        return YAMLMapping(owner: self, members: members)
    }

    func sequence(_ sink: DiagnosticSink) -> [YAMLValue]? {
        guard let node, case .sequence(let sequence) = node else {
            sink.error(self, "expected a list, found \(kindName)")
            return nil
        }
        return sequence.enumerated().map { index, element in child("\(index)", element).renamed("\(path)[\(index)]") }
    }

    /// The same key path, located at `node` (e.g. the key of a mapping member rather than its value).
    func at(_ node: Node) -> YAMLValue {
        YAMLValue(node: node, path: path, file: file, fallbackLine: fallbackLine, overrides: overrides)
    }

    func renamed(_ newPath: String) -> YAMLValue {
        YAMLValue(node: node, path: newPath, file: file, fallbackLine: fallbackLine, overrides: overrides)
    }

    /// The scalar's text: from the environment override if one is set, else from the file.
    func scalarText(_ sink: DiagnosticSink) -> String? {
        if let override = overrides.value(for: path) { return override }
        guard let node else { return nil }
        guard case .scalar(let scalar) = node else {
            sink.error(self, "expected a single value, found \(kindName)")
            return nil
        }
        return scalar.string
    }

    var hasOverride: Bool { overrides.value(for: path) != nil }

    func string(_ sink: DiagnosticSink) -> String? {
        scalarText(sink)
    }

    func int(_ sink: DiagnosticSink, range: ClosedRange<Int>? = nil) -> Int? {
        guard let text = scalarText(sink) else { return nil }
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else {
            sink.error(self, "expected a whole number, found '\(text)'\(overrideNote)")
            return nil
        }
        if let range, !range.contains(value) {
            sink.error(self, "must be between \(range.lowerBound) and \(range.upperBound), found \(value)\(overrideNote)")
            return nil
        }
        return value
    }

    func bool(_ sink: DiagnosticSink) -> Bool? {
        guard let text = scalarText(sink) else { return nil }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            sink.error(self, "expected true or false, found '\(text)'\(overrideNote)")
            return nil
        }
    }

    func strings(_ sink: DiagnosticSink) -> [String]? {
        if let node, case .scalar = node, let single = string(sink) { return [single] }
        return sequence(sink)?.compactMap { $0.string(sink) }
    }

    var overrideNote: String {
        hasOverride ? " (from environment variable \(Overrides.variableName(for: path)))" : ""
    }

    var kindName: String {
        switch node {
        case .none: "nothing"
        case .scalar(let scalar)?: scalar.string.isEmpty ? "an empty value" : "the value '\(scalar.string)'"
        case .mapping?: "a mapping"
        case .sequence?: "a list"
        case .alias?: "an alias"
        }
    }

    /// The candidate a typo most likely meant: same letters in another case, a prefix, or at most two edits away.
    static func closest(_ name: String, in candidates: [String]) -> String? {
        let lowered = name.lowercased()
        if let prefix = candidates.first(where: { $0.lowercased() == lowered || $0.lowercased().hasPrefix(lowered) || lowered.hasPrefix($0.lowercased()) }) {
            return prefix
        }
        let scored = candidates.map { ($0, editDistance(lowered, $0.lowercased())) }.filter { $0.1 <= 2 }
        return scored.min { $0.1 < $1.1 }?.0
    }

    /// Levenshtein distance, for "did you mean" hints on short keys.
    static func editDistance(_ lhs: String, _ rhs: String) -> Int {
        let a = Array(lhs)
        let b = Array(rhs)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}

/// The members of a YAML mapping, in file order.
struct YAMLMapping {
    let owner: YAMLValue
    let members: [(String, YAMLValue)]

    /// The member `key`, or an empty value at its path (so an environment override can still supply it).
    subscript(key: String) -> YAMLValue {
        members.first { $0.0 == key }?.1 ?? owner.child(key, nil)
    }

    func has(_ key: String) -> Bool { members.contains { $0.0 == key } || owner.child(key, nil).hasOverride }

    /// The member, reporting it as missing when it is absent and not set by the environment.
    func required(_ key: String, _ sink: DiagnosticSink) -> YAMLValue? {
        guard has(key) else {
            sink.error(owner, "missing required key '\(key)'")
            return nil
        }
        return self[key]
    }
}

/// Environment-variable overrides of config keys.
struct Overrides: Sendable {
    let environment: [String: String]

    func value(for path: String) -> String? {
        environment[Self.variableName(for: path)]
    }

    /// `endpoints.demo-1.handover.chatwoot.apiAccessToken` → `BATON_ENDPOINTS_DEMO_1_HANDOVER_CHATWOOT_API_ACCESS_TOKEN`.
    static func variableName(for path: String) -> String {
        var name = "BATON"
        var previousWasLower = false
        name.append("_")
        for character in path {
            if character.isUppercase, previousWasLower {
                name.append("_")
            }
            if character.isLetter || character.isNumber {
                name.append(contentsOf: character.uppercased())
            } else {
                name.append("_")
            }
            previousWasLower = character.isLowercase || character.isNumber
        }
        return name
    }
}

import Foundation
