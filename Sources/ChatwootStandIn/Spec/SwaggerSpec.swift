import Foundation

/// Chatwoot's own OpenAPI 3.1 document (`swagger/swagger.json` at v4.15.1), bundled as a resource.
struct SwaggerSpec: Sendable {
    struct PathTemplate: Sendable {
        let template: String
        let segments: [String]
        let item: JSONValue

        /// Literal segments count: `contacts/search` must win over `contacts/{id}`.
        var literalCount: Int { segments.filter { !$0.hasPrefix("{") }.count }

        func matches(_ pathSegments: [String]) -> [String: String]? {
            guard pathSegments.count == segments.count else { return nil }
            var values: [String: String] = [:]
            for (pattern, actual) in zip(segments, pathSegments) {
                if pattern.hasPrefix("{") && pattern.hasSuffix("}") {
                    values[String(pattern.dropFirst().dropLast())] = actual
                } else if pattern != actual {
                    return nil
                }
            }
            return values
        }
    }

    let root: JSONValue
    let templates: [PathTemplate]

    init(root: JSONValue) {
        self.root = root
        self.templates = root["paths"]?.members.map { template, item in
            PathTemplate(template: template, segments: template.split(separator: "/").map(String.init), item: item)
        } ?? []
    }

    /// The bundled spec, parsed once per process (it is ~0.5 MB and every stand-in uses the same one).
    static let bundled: Result<SwaggerSpec, any Error> = Result { try loadBundled() }

    /// Loads the bundled `Resources/swagger.json`.
    static func loadBundled() throws -> SwaggerSpec {
        guard let url = Bundle.module.url(forResource: "swagger", withExtension: "json", subdirectory: "Resources")
            ?? Bundle.module.url(forResource: "swagger", withExtension: "json")
        else { throw CocoaError(.fileNoSuchFile) }
        let data = try Data(contentsOf: url)
        return SwaggerSpec(root: try JSONParser.parse(Array(data)))
    }

    /// The best matching path template for a request path.
    func match(path: String) -> (PathTemplate, [String: String])? {
        let segments = path.split(separator: "/").map(String.init)
        var best: (PathTemplate, [String: String])?
        for template in templates {
            guard let values = template.matches(segments) else { continue }
            if best == nil || template.literalCount > best!.0.literalCount { best = (template, values) }
        }
        return best
    }

    /// Follows `$ref` chains (`#/components/...`).
    func resolve(_ value: JSONValue) -> JSONValue {
        var current = value
        var hops = 0
        while let ref = current["$ref"]?.stringValue, hops < 32 {
            hops += 1
            guard ref.hasPrefix("#/") else { return current }
            var node: JSONValue? = root
            for component in ref.dropFirst(2).split(separator: "/") {
                let key = component.replacingAll("~1", with: "/").replacingAll("~0", with: "~")
                node = node?[key]
            }
            guard let next = node else { return current }
            current = next
        }
        return current
    }
}

extension Substring {
    func replacingAll(_ target: String, with replacement: String) -> String { String(self).replacingAll(target, with: replacement) }
}
