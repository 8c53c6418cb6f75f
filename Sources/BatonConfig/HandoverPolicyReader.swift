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
        guard let languages = value.mapping(allowed: nil, sink) else { return Notices(defaultLanguage: defaultLanguage) }
        var texts: [String: [NoticeKey: String]] = [:]
        let keys = NoticeKey.allCases.map(\.rawValue)
        for (language, entries) in languages.members {
            if !Notices.isLanguageTag(language) { sink.error(entries, "'\(language)' is not a language tag (such as en, de, pt-BR)") }
            guard let members = entries.mapping(allowed: keys, sink) else { continue }
            var table: [NoticeKey: String] = [:]
            for (name, member) in members.members {
                guard let key = NoticeKey(rawValue: name), let text = member.string(sink) else { continue }
                for placeholder in placeholders(in: text) where !key.placeholders.contains(placeholder) {
                    let allowed = key.placeholders.isEmpty ? "none" : key.placeholders.map { "{\($0)}" }.joined(separator: ", ")
                    sink.error(member, "'{\(placeholder)}' is not known in the \(name) notice; it may use: \(allowed)")
                }
                if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { sink.error(member, "a notice must say something") }
                table[key] = text
            }
            texts[language] = table
        }
        return Notices(texts: texts, defaultLanguage: defaultLanguage)
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
