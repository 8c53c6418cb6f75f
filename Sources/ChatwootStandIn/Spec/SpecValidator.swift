/// Checks requests against swagger.json: the operation exists, path/query parameter types, required body fields
/// and body field types (following `$ref`), with the documented exceptions of ``SpecLeniency``.
struct SpecValidator: Sendable {
    let spec: SwaggerSpec

    /// Only these prefixes are Chatwoot API paths; the stand-in's own pages are not checked.
    static let checkedPrefixes = ["/api/", "/public/", "/platform/"]

    /// How a value arrived: JSON keeps types; forms and query strings carry text that Rails casts.
    enum Encoding {
        case json
        case form
    }

    /// The problems found (empty when the request is allowed).
    func problems(for request: IncomingRequest) -> (template: String?, problems: [String]) {
        guard Self.checkedPrefixes.contains(where: request.path.hasPrefix) else { return (nil, []) }
        let method = request.method.uppercased()
        let segments = request.segments
        for extra in SpecLeniency.extraOperations where extra.method == method {
            let template = SwaggerSpec.PathTemplate(template: extra.template, segments: extra.template.split(separator: "/").map(String.init), item: .null)
            if template.matches(segments) != nil { return (extra.template, []) }
        }
        guard let (template, pathValues) = spec.match(path: request.path) else {
            return (nil, ["no path in swagger.json matches \(request.path)"])
        }
        guard let operation = template.item[method.lowercased()] else {
            let allowed = template.item.keys.filter { $0 != "parameters" }.map { $0.uppercased() }.joined(separator: ", ")
            return (template.template, ["\(method) is not an operation of \(template.template) in swagger.json (allowed: \(allowed))"])
        }
        var problems: [String] = []
        checkParameters(pathItem: template.item, operation: operation, pathValues: pathValues, request: request, problems: &problems)
        checkBody(method: method, template: template.template, operation: operation, request: request, problems: &problems)
        return (template.template, problems)
    }

    // MARK: Parameters

    private func checkParameters(pathItem: JSONValue, operation: JSONValue, pathValues: [String: String], request: IncomingRequest, problems: inout [String]) {
        let declared = (pathItem["parameters"]?.arrayValue ?? []) + (operation["parameters"]?.arrayValue ?? [])
        var query: JSONValue = .emptyObject
        for (key, value) in request.queryItems { ParamsBuilder.assign(&query, key: key, value: .string(value)) }
        var seen = Set<String>()
        for raw in declared {
            let parameter = spec.resolve(raw)
            guard let name = parameter["name"]?.stringValue, let location = parameter["in"]?.stringValue else { continue }
            guard seen.insert("\(location):\(name)").inserted else { continue }
            let schema = parameter["schema"] ?? .emptyObject
            switch location {
            case "path":
                if let value = pathValues[name] { check(.string(value), schema: schema, at: "path.\(name)", encoding: .form, problems: &problems) }
            case "query":
                if let value = query[name] {
                    check(value, schema: schema, at: "query.\(name)", encoding: .form, problems: &problems)
                } else if parameter["required"]?.boolValue == true {
                    problems.append("query.\(name) is required")
                }
            default:
                continue
            }
        }
    }

    // MARK: Body

    private func checkBody(method: String, template: String, operation: JSONValue, request: IncomingRequest, problems: inout [String]) {
        guard let requestBody = operation["requestBody"].map(spec.resolve) else { return }
        let content = requestBody["content"] ?? .emptyObject
        if request.body.isEmpty {
            if requestBody["required"]?.boolValue == true {
                problems.append("a request body is required (\(content.keys.joined(separator: " or ")))")
            }
            return
        }
        guard let mediaType = request.mediaType, let media = content[mediaType] else {
            problems.append("Content-Type \(request.mediaType ?? "(none)") is not accepted (swagger.json allows \(content.keys.joined(separator: ", ")))")
            return
        }
        var schema = spec.resolve(media["schema"] ?? .emptyObject)
        schema = SpecLeniency.adjust(method: method, template: template, schema: schema)
        switch mediaType {
        case "application/json":
            guard let body = try? JSONParser.parse(request.body) else {
                problems.append("the body is not valid JSON")
                return
            }
            check(body, schema: schema, at: "body", encoding: .json, problems: &problems)
        case "multipart/form-data", "application/x-www-form-urlencoded":
            // Only body fields are checked against the body schema, so parse the body without the query string.
            let bodyOnly = IncomingRequest(method: request.method, path: request.path, query: nil, headers: request.headers, body: request.body)
            guard let params = try? ParamsBuilder.build(bodyOnly) else {
                problems.append("the \(mediaType) body could not be parsed")
                return
            }
            var values = params.values
            // File parts keep their literal field name (swagger names the property `attachments[]`).
            var fileGroups: [(String, [JSONValue])] = []
            for file in params.files {
                if let index = fileGroups.firstIndex(where: { $0.0 == file.fieldName }) {
                    fileGroups[index].1.append(.string(file.filename))
                } else {
                    fileGroups.append((file.fieldName, [.string(file.filename)]))
                }
            }
            for (name, filenames) in fileGroups {
                values = values.setting(name, name.hasSuffix("[]") || filenames.count > 1 ? .array(filenames) : filenames[0])
            }
            check(values, schema: schema, at: "body", encoding: .form, problems: &problems)
        default:
            return
        }
    }

    // MARK: Schemas

    /// Validates `value` against `schema`, appending `"<path>: <problem>"` texts.
    func check(_ value: JSONValue, schema raw: JSONValue, at path: String, encoding: Encoding, problems: inout [String]) {
        let schema = spec.resolve(raw)
        for branch in schema["allOf"]?.arrayValue ?? [] { check(value, schema: branch, at: path, encoding: encoding, problems: &problems) }
        for keyword in ["oneOf", "anyOf"] {
            guard let branches = schema[keyword]?.arrayValue, !branches.isEmpty else { continue }
            let fits = branches.contains { branch in
                var scratch: [String] = []
                check(value, schema: branch, at: path, encoding: encoding, problems: &scratch)
                return scratch.isEmpty
            }
            if !fits { problems.append("\(path): matches none of the \(keyword) schemas") }
        }
        let types: [String] =
            switch schema["type"] {
            case .string(let t)?: [t]
            case .array(let ts)?: ts.compactMap(\.stringValue)
            default: []
            }
        if value.isNull {
            if !types.isEmpty && !types.contains("null") && schema["nullable"]?.boolValue != true {
                problems.append("\(path): expected \(types.joined(separator: " or ")), got null")
            }
            return
        }
        if !types.isEmpty && !types.contains(where: { conforms(value, to: $0, encoding: encoding) }) {
            problems.append("\(path): expected \(types.filter { $0 != "null" }.joined(separator: " or ")), got \(describe(value))")
            return
        }
        if let allowed = schema["enum"]?.arrayValue, !allowed.isEmpty {
            let ok = allowed.contains { allowedValue in
                if allowedValue == value { return true }
                if encoding == .form, let text = value.stringValue { return allowedValue.stringValue == text || JSONWriter.string(allowedValue) == text }
                return false
            }
            if !ok { problems.append("\(path): \(JSONWriter.string(value)) is not one of \(JSONWriter.string(.array(allowed)))") }
        }
        if case .object = value, types.isEmpty || types.contains("object") {
            checkObject(value, schema: schema, at: path, encoding: encoding, problems: &problems)
        } else if encoding == .form, types.contains("object"), let text = value.stringValue, let parsed = try? JSONValue.parse(text), parsed.isObject {
            checkObject(parsed, schema: schema, at: path, encoding: .json, problems: &problems)
        }
        if case .array(let items) = value, let itemSchema = schema["items"] {
            for (index, item) in items.enumerated() { check(item, schema: itemSchema, at: "\(path)[\(index)]", encoding: encoding, problems: &problems) }
        }
    }

    private func checkObject(_ value: JSONValue, schema: JSONValue, at path: String, encoding: Encoding, problems: inout [String]) {
        for required in schema["required"]?.arrayValue ?? [] {
            guard let key = required.stringValue else { continue }
            if value[key] == nil { problems.append("\(path).\(key) is required") }
        }
        let properties = schema["properties"] ?? .emptyObject
        for (key, item) in value.members {
            if let propertySchema = properties[key] {
                check(item, schema: propertySchema, at: "\(path).\(key)", encoding: encoding, problems: &problems)
            } else if schema["additionalProperties"]?.boolValue == false {
                problems.append("\(path).\(key) is not allowed")
            } else if let additional = schema["additionalProperties"], additional.isObject {
                check(item, schema: additional, at: "\(path).\(key)", encoding: encoding, problems: &problems)
            }
        }
    }

    private func conforms(_ value: JSONValue, to type: String, encoding: Encoding) -> Bool {
        switch (type, value) {
        case ("null", .null): return true
        case ("string", .string): return true
        case ("boolean", .bool): return true
        case ("integer", .int): return true
        case ("integer", .double(let d)): return d.rounded() == d
        case ("number", .int), ("number", .double): return true
        case ("object", .object), ("array", .array): return true
        case ("integer", .string(let s)) where encoding == .form: return Int(s) != nil
        case ("number", .string(let s)) where encoding == .form: return Double(s) != nil
        case ("boolean", .string(let s)) where encoding == .form: return ["true", "false", "1", "0"].contains(s)
        case ("object", .string(let s)) where encoding == .form: return (try? JSONValue.parse(s))?.isObject == true
        case ("array", .string) where encoding == .form: return false
        default: return false
        }
    }

    private func describe(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "boolean"
        case .int: "integer"
        case .double: "number"
        case .string(let s): "string \(JSONWriter.string(.string(s.count > 40 ? String(s.prefix(40)) + "…" : s)))"
        case .array: "array"
        case .object: "object"
        }
    }
}
