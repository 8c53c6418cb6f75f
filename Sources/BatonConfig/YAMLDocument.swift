import BatonCore
import Yams

/// Parsing YAML text into a root value, with syntax errors as diagnostics.
enum YAMLDocument {
    static func parse(_ text: String, file: String, overrides: Overrides, sink: DiagnosticSink) -> YAMLValue? {
        do {
            let node = try Yams.compose(yaml: text)
            let root = YAMLValue(node: node, path: "", file: file, fallbackLine: 1, overrides: overrides)
            if node == nil { sink.error(root, "the file is empty") ; return nil }
            return root
        } catch let error as YamlError {
            sink.add(Diagnostic(at: location(of: error, file: file), path: "", "YAML syntax error: \(problem(of: error))"))
        } catch {
            sink.add(Diagnostic(at: SourceLocation(file: file, line: 1), path: "", "YAML syntax error: \(error)"))
        }
        return nil
    }

    static func location(of error: YamlError, file: String) -> SourceLocation {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            SourceLocation(file: file, line: mark.line, column: mark.column)
        default:
            SourceLocation(file: file, line: 1)
        }
    }

    static func problem(of error: YamlError) -> String {
        switch error {
        case .scanner(let context, let problem, _, _), .parser(let context, let problem, _, _), .composer(let context, let problem, _, _):
            [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
        case .duplicatedKeysInMapping(let duplicates, _):
            "duplicate keys: \(duplicates.joined(separator: ", "))"
        default:
            "\(error)"
        }
    }
}
