import ChatwootStandIn
import Foundation

/// The shared Chatwoot material beside the repository (`../shared/chatwoot`).
enum Samples {
    /// The repository root is three levels up from this file (…/Tests/ChatwootStandInTests/Samples.swift); the shared
    /// material lives beside the repository root.
    static let chatwootDirectory: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("../shared/chatwoot").standardizedFileURL
    }()

    static func data(_ relativePath: String) throws -> Data {
        try Data(contentsOf: chatwootDirectory.appendingPathComponent(relativePath))
    }

    static func json(_ relativePath: String) throws -> JSONValue {
        try JSONValue.parse(String(decoding: try data(relativePath), as: UTF8.self))
    }

    static func webhook(_ name: String) throws -> JSONValue { try json("webhook-samples/\(name)") }

    static func apiExample(_ name: String) throws -> JSONValue { try json("api-examples/\(name)") }
}

/// Compares key lists of two JSON objects along paths, reporting differences (`path: missing [..] extra [..]`).
enum Shape {
    static func differences(_ actual: JSONValue?, _ expected: JSONValue?, path: String = "$", ignoring: Set<String> = []) -> [String] {
        guard let actual, let expected else { return ["\(path): missing object"] }
        let a = Set(actual.keys).subtracting(ignoring)
        let e = Set(expected.keys).subtracting(ignoring)
        guard a != e else { return [] }
        return ["\(path): missing \(e.subtracting(a).sorted()) extra \(a.subtracting(e).sorted())"]
    }

    /// Same key order (Chatwoot's serializers are ordered; the signed vector depends on it).
    static func sameOrder(_ actual: JSONValue?, _ expected: JSONValue?) -> Bool {
        guard let actual, let expected else { return false }
        return actual.keys == expected.keys
    }
}
