/// `POST /contacts/filter` (`Contacts::FilterService` over `lib/filters/filter_keys.yml`), for the string and
/// boolean keys a bridge can use. Conditions combine left to right with each condition's `query_operator`.
struct ContactFilter {
    static let standardKeys = [
        "name", "phone_number", "email", "identifier", "country_code", "city", "company_name", "labels", "created_at",
        "last_activity_at", "blocked",
    ]
    static let operators = [
        "equal_to", "not_equal_to", "contains", "does_not_contain", "is_present", "is_not_present", "is_greater_than", "is_less_than",
        "days_before", "starts_with",
    ]

    struct Condition {
        let key: String
        let op: String
        let values: [String]
        let queryOperator: String?
    }

    let conditions: [Condition]

    /// Parses and validates the `payload` array; errors are the 422 texts of `CustomExceptions::CustomFilter`.
    init(payload: JSONValue?, customKeys: Set<String>) throws {
        guard let items = payload?.arrayValue else { throw StandInAPIError.unprocessable("Invalid attribute key - []. The key should be one of [\(Self.standardKeys.joined(separator: ", "))] or a custom attribute defined in the account.") }
        conditions = try items.map { item in
            let key = item["attribute_key"]?.stringValue ?? ""
            guard Self.standardKeys.contains(key) || customKeys.contains(key) else {
                throw StandInAPIError.unprocessable(
                    "Invalid attribute key - [\(key)]. The key should be one of [\(Self.standardKeys.joined(separator: ", "))] or a custom attribute defined in the account.")
            }
            let op = item["filter_operator"]?.stringValue ?? ""
            guard Self.operators.contains(op) else {
                throw StandInAPIError.unprocessable("Invalid operator. The allowed operators for \(key) are [\(Self.operators.joined(separator: ","))].")
            }
            let queryOperator = item["query_operator"]?.stringValue
            if let queryOperator, !["AND", "OR"].contains(queryOperator.uppercased()) {
                throw StandInAPIError.unprocessable("Query operator must be either \"AND\" or \"OR\".")
            }
            let values = (item["values"]?.arrayValue ?? []).compactMap { value -> String? in
                switch value {
                case .string(let s): s
                case .int(let i): String(i)
                case .bool(let b): String(b)
                default: nil
                }
            }
            return Condition(key: key, op: op, values: values, queryOperator: queryOperator?.uppercased())
        }
    }

    func matches(_ contact: Contact) -> Bool {
        var result: Bool?
        var pendingOperator = "AND"
        for condition in conditions {
            let value = evaluate(condition, contact)
            if let current = result {
                result = pendingOperator == "OR" ? (current || value) : (current && value)
            } else {
                result = value
            }
            pendingOperator = condition.queryOperator ?? "AND"
        }
        return result ?? true
    }

    private func attribute(_ key: String, _ contact: Contact) -> String? {
        switch key {
        case "name": contact.name
        case "phone_number": contact.phoneNumber
        case "email": contact.email
        case "identifier": contact.identifier
        case "blocked": String(contact.blocked)
        case "country_code", "city", "company_name": contact.additionalAttributes[key]?.stringValue
        default:
            switch contact.customAttributes[key] {
            case .string(let s)?: s
            case .int(let i)?: String(i)
            case .bool(let b)?: String(b)
            case .double(let d)?: JSONWriter.formatDouble(d)
            default: nil
            }
        }
    }

    private func evaluate(_ condition: Condition, _ contact: Contact) -> Bool {
        let value = attribute(condition.key, contact)
        let lowered = value?.lowercased()
        let wanted = condition.values.map { $0.lowercased() }
        switch condition.op {
        case "equal_to": return lowered.map(wanted.contains) ?? false
        case "not_equal_to": return !(lowered.map(wanted.contains) ?? false)
        case "contains": return wanted.contains { w in lowered?.contains(w) ?? false }
        case "does_not_contain": return !wanted.contains { w in lowered?.contains(w) ?? false }
        case "starts_with": return wanted.contains { w in lowered?.hasPrefix(w) ?? false }
        case "is_present": return !(value ?? "").isEmpty
        case "is_not_present": return (value ?? "").isEmpty
        default: return false
        }
    }
}
