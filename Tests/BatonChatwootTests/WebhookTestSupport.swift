import BatonServer
import BatonCore
import Foundation
import Testing

/// The Chatwoot webhook samples in `<package root>/../shared/chatwoot/webhook-samples`, where CI has them too.
enum Samples {
    /// `#filePath` is `<root>/Tests/BatonChatwootTests/<file>`; the package root is two directories above this folder.
    static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // BatonChatwootTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // package root
        .deletingLastPathComponent()  // its parent, which holds shared/
        .appendingPathComponent("shared/chatwoot/webhook-samples", isDirectory: true)

    /// Every webhook body: the numbered samples and the signed example's body (not its headers file).
    static func bodyFileNames() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".json") && $0 != "signed-example.headers.json" }
            .sorted()
    }

    static func data(_ name: String) throws -> Data {
        try Data(contentsOf: directory.appendingPathComponent(name))
    }

    static func json(_ name: String) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: data(name))
    }

    static func webhook(_ name: String) throws -> ChatwootWebhook {
        try ChatwootWebhook.decode(data(name))
    }

    /// The full name of the sample whose name starts with `prefix` (e.g. `"02-"`).
    static func named(_ prefix: String) throws -> String {
        let names = try bodyFileNames().filter { $0.hasPrefix(prefix) }
        guard names.count == 1, let name = names.first else {
            throw ChatwootWebhookDecodingError(path: "", reason: "no single sample named \(prefix)…")
        }
        return name
    }
}

/// A step into a JSON value.
enum JSONPathStep: Hashable, CustomStringConvertible {
    case key(String)
    case index(Int)

    var description: String {
        switch self {
        case .key(let key): ".\(key)"
        case .index(let index): "[\(index)]"
        }
    }
}

extension JSONValue {
    /// Every path into the value, containers before their members.
    func allPaths(under prefix: [JSONPathStep] = []) -> [[JSONPathStep]] {
        var paths: [[JSONPathStep]] = []
        switch self {
        case .object(let members):
            for key in members.keys.sorted() {
                let path = prefix + [.key(key)]
                paths.append(path)
                paths += members[key]!.allPaths(under: path)
            }
        case .array(let elements):
            for (index, element) in elements.enumerated() {
                let path = prefix + [.index(index)]
                paths.append(path)
                paths += element.allPaths(under: path)
            }
        default:
            break
        }
        return paths
    }

    /// A copy with the value at `path` replaced (`nil` removes an object member or an array element).
    func replacing(_ path: [JSONPathStep], with replacement: JSONValue?) -> JSONValue {
        guard let first = path.first else { return replacement ?? .null }
        let rest = Array(path.dropFirst())
        switch (self, first) {
        case (.object(var members), .key(let key)):
            if rest.isEmpty {
                members[key] = replacement
            } else if let member = members[key] {
                members[key] = member.replacing(rest, with: replacement)
            }
            return .object(members)
        case (.array(var elements), .index(let index)) where elements.indices.contains(index):
            if rest.isEmpty {
                if let replacement { elements[index] = replacement } else { elements.remove(at: index) }
            } else {
                elements[index] = elements[index].replacing(rest, with: replacement)
            }
            return .array(elements)
        default:
            return self
        }
    }

    /// Convenience for dotted object paths: `json.with("conversation.id", "x")`.
    func with(_ dottedPath: String, _ replacement: JSONValue?) -> JSONValue {
        replacing(dottedPath.split(separator: ".").map { .key(String($0)) }, with: replacement)
    }

    /// The value at a dotted object path.
    func at(_ dottedPath: String) -> JSONValue? {
        var current: JSONValue? = self
        for key in dottedPath.split(separator: ".") { current = current?[String(key)] }
        return current
    }

    var bodyData: Data { Data(jsonText.utf8) }
}

/// Decoding and classifying constructed bodies.
enum Fixture {
    static let prefix = "baton-"
    static let classifier = WebhookClassifier(ownSourceIDPrefix: prefix)

    static func decode(_ json: JSONValue) throws -> ChatwootWebhook {
        try ChatwootWebhook.decode(json.bodyData)
    }

    static func classify(_ json: JSONValue) throws -> WebhookAction {
        classifier.classify(try decode(json))
    }

    /// The thrown decoding error, or `nil` when decoding succeeded.
    static func decodingError(_ body: Data) -> ChatwootWebhookDecodingError? {
        do {
            _ = try ChatwootWebhook.decode(body)
            return nil
        } catch {
            return error
        }
    }

    /// Sample 01 (a plain agent reply) as the base of constructed messages.
    static func agentReply() throws -> JSONValue { try Samples.json(Samples.named("01-")) }

    /// The conversation of the samples, as a reference.
    static let sampleConversation = ConversationRef(
        accountID: 1, inboxID: 7, conversationID: 1187, sourceID: "b6a1f3b2-5c1e-4b8e-9a55-0f6d2d4f1c11",
        customAttributes: ["bot_session_id": "7f3c9a", "handover_reason": "user_requested"])
    /// The samples' conversation's labels and custom attributes, as a resolved status carries them.
    static let sampleResolution = ResolutionDetails(labels: ["bot-handover"], attributes: ["bot_session_id": "7f3c9a", "handover_reason": "user_requested"])

    /// An attachment object in Chatwoot's shape (§4.5).
    static func attachment(
        fileType: String, fileName: String, contentType: String?, extension ext: String?,
        dataURL: String? = nil, query: String = ""
    ) -> JSONValue {
        var object: [String: JSONValue] = [
            "id": 6000, "message_id": 90211, "file_type": .string(fileType), "account_id": 1,
            "extension": ext.map(JSONValue.string) ?? .null,
            "data_url": .string(dataURL ?? "https://chatwoot.example.com/rails/active_storage/blobs/redirect/abc--123/\(fileName)\(query)"),
            "thumb_url": "", "file_size": 1234, "width": nil, "height": nil,
        ]
        // Chatwoot before 4.13 sends no content_type at all.
        if let contentType { object["content_type"] = .string(contentType) }
        return .object(object)
    }

    static func blobURL(_ fileName: String) -> String {
        "https://chatwoot.example.com/rails/active_storage/blobs/redirect/abc--123/\(fileName)"
    }
}

extension WebhookAction {
    var deliveredMessage: AgentMessage? {
        if case .deliver(let message) = self { return message }
        return nil
    }

    var ignoreReason: String? {
        if case .ignore(let reason) = self { return reason }
        return nil
    }
}
