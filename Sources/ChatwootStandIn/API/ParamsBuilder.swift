/// Builds Rails-style ``Params`` from a request: query string, then the body (JSON, multipart or form).
enum ParamsBuilder {
    /// Why a body could not be read (Rails answers 400 for unparsable JSON).
    struct BodyError: Error, CustomStringConvertible {
        let description: String
    }

    static func build(_ request: IncomingRequest) throws -> Params {
        var params = Params()
        for (key, value) in request.queryItems { assign(&params.values, key: key, value: .string(value)) }
        guard !request.body.isEmpty else { return params }
        switch request.mediaType {
        case "application/json"?:
            let parsed: JSONValue
            do { parsed = try JSONParser.parse(request.body) } catch { throw BodyError(description: "\(error)") }
            if case .object(let members) = parsed {
                for (key, value) in members { params.values = params.values.setting(key, value) }
            } else {
                params.values = params.values.setting("_json", parsed)
            }
        case "multipart/form-data"?:
            guard let boundary = request.header("content-type").flatMap(Multipart.boundary(fromContentType:)) else {
                throw BodyError(description: "multipart body without boundary")
            }
            let parts: [Multipart.Part]
            do { parts = try Multipart.parse(request.body, boundary: boundary) } catch { throw BodyError(description: "\(error)") }
            for part in parts {
                if let filename = part.filename {
                    params.files.append(
                        UploadedFile(fieldName: part.name, filename: filename, contentType: part.contentType ?? "application/octet-stream", data: part.data))
                } else {
                    assign(&params.values, key: part.name, value: .string(String(decoding: part.data, as: UTF8.self)))
                }
            }
        case "application/x-www-form-urlencoded"?:
            let form = IncomingRequest(method: request.method, path: request.path, query: String(decoding: request.body, as: UTF8.self), headers: [], body: [])
            for (key, value) in form.queryItems { assign(&params.values, key: key, value: .string(value)) }
        default:
            break
        }
        return params
    }

    /// Rails' nested parameter names: `a[]` appends to an array, `a[b]` sets a member of an object.
    static func assign(_ root: inout JSONValue, key: String, value: JSONValue) {
        guard let open = key.firstIndex(of: "["), key.hasSuffix("]") else {
            root = root.setting(key, value)
            return
        }
        let base = String(key[..<open])
        let inner = String(key[key.index(after: open)..<key.index(before: key.endIndex)])
        if inner.isEmpty {
            var items = root[base]?.arrayValue ?? []
            items.append(value)
            root = root.setting(base, .array(items))
        } else {
            var object = root[base].flatMap { $0.isObject ? $0 : nil } ?? .emptyObject
            object = object.setting(inner, value)
            root = root.setting(base, object)
        }
    }
}
