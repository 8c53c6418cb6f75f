import BatonCore
import Foundation

/// Reads handover timers (a handover node's, or an endpoint's defaults) and an endpoint's notices.
///
/// ```yaml
/// inactivity: { userSeconds: 600, agentSeconds: 900 }   # close a quiet handover
/// reminder: { everySeconds: 60, times: 3 }               # while no agent has written
/// ```
enum HandoverPolicyReader {
    static let timerKeys = ["inactivity", "reminder"]

    /// The timers set in `members` (`inactivity`, `reminder`); what is absent stays `nil`.
    static func timers(_ members: YAMLMapping, _ sink: DiagnosticSink) -> HandoverTimers {
        var timers = HandoverTimers()
        if members.has("inactivity"), let inactivity = members["inactivity"].mapping(allowed: ["userSeconds", "agentSeconds"], sink) {
            if inactivity.has("userSeconds"), let seconds = inactivity["userSeconds"].int(sink, range: 1...604_800) { timers.userInactivity = Double(seconds) }
            if inactivity.has("agentSeconds"), let seconds = inactivity["agentSeconds"].int(sink, range: 1...604_800) { timers.agentInactivity = Double(seconds) }
        }
        if members.has("reminder"), let reminder = members["reminder"].mapping(allowed: ["everySeconds", "times"], sink) {
            let every = reminder.required("everySeconds", sink)?.int(sink, range: 1...86_400)
            let times = reminder.has("times") ? reminder["times"].int(sink, range: 1...100) : 1
            timers.reminderEvery = every.map(Double.init)
            timers.reminderTimes = times
        }
        return timers
    }

    /// An endpoint's notices: `{ <language>: { <key>: text } }`, each key one of `NoticeKey`, each text using only
    /// its key's placeholders.
    static func notices(_ value: YAMLValue, defaultLanguage: String, _ sink: DiagnosticSink) -> Notices {
        let keys = NoticeKey.allCases.map { (key: $0.rawValue, placeholders: $0.placeholders) }
        let texts = textsByLanguage(value, keys: keys, noun: "notice", named: { "\($0) notice" }, sink)
        return Notices(texts: texts.mapValues { table in Dictionary(uniqueKeysWithValues: table.compactMap { key, text in NoticeKey(rawValue: key).map { ($0, text) } }) }, defaultLanguage: defaultLanguage)
    }

    /// Words by language and key, as the notices and the webchat's texts are written: `{ <language>: { <key>: text } }`,
    /// each key one of `keys` (in the order an error lists them, each with the names its text may use), each text
    /// saying something with only its key's placeholders. Languages are normalized (`pt_BR` is `pt-br`).
    /// - Parameters:
    ///   - noun: what a text is, for the error of an empty one (`a notice must say something`).
    ///   - named: a key's text, for the error of a placeholder it may not use (`the resolved notice`).
    static func textsByLanguage(
        _ value: YAMLValue, keys: [(key: String, placeholders: [String])], noun: String, named: (String) -> String, _ sink: DiagnosticSink
    ) -> [String: [String: String]] {
        guard let languages = value.mapping(allowed: nil, sink) else { return [:] }
        let allowedByKey = Dictionary(keys.map { ($0.key, $0.placeholders) }, uniquingKeysWith: { first, _ in first })
        var texts: [String: [String: String]] = [:]
        for (language, entries) in languages.members {
            if !Notices.isLanguageTag(language) { sink.error(entries, "'\(language)' is not a language tag (such as en, de, pt-BR)") }
            guard let members = entries.mapping(allowed: keys.map(\.key), sink) else { continue }
            var table: [String: String] = [:]
            for (key, member) in members.members {
                guard let allowed = allowedByKey[key], let text = member.string(sink) else { continue }
                for placeholder in placeholders(in: text) where !allowed.contains(placeholder) {
                    let known = allowed.isEmpty ? "none" : allowed.map { "{\($0)}" }.joined(separator: ", ")
                    sink.error(member, "'{\(placeholder)}' is not known in the \(named(key)); it may use: \(known)")
                }
                if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { sink.error(member, "a \(noun) must say something") }
                table[key] = text
            }
            texts[Notices.normalized(language), default: [:]].merge(table) { _, new in new }
        }
        return texts
    }

    /// The names between `{` and `}` (not `{{`, which opens an expression in flow texts).
    static func placeholders(in text: String) -> [String] {
        var names: [String] = []
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{") {
            let after = rest[rest.index(after: open)...]
            guard let close = after.firstIndex(of: "}") else { break }
            let name = after[..<close]
            if !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber }) { names.append(String(name)) }
            rest = after[after.index(after: close)...]
        }
        return names
    }
}
