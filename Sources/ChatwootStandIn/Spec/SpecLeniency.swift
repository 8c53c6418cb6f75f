/// The places where swagger.json is known to be wrong about what Chatwoot v4.15.1 accepts, each backed by
/// the Chatwoot source file named beside it. Everything else in the spec is enforced as written.
enum SpecLeniency {
    /// Real routes that swagger.json does not list; requests to them are not violations.
    static let extraOperations: [(method: String, template: String, source: String)] = [
        // Message status PATCH (API inboxes, v4.2.0+).
        ("PATCH", "/api/v1/accounts/{account_id}/conversations/{conversation_id}/messages/{message_id}", "app/controllers/api/v1/accounts/conversations/messages_controller.rb"),
        // Contact lookup by source id (v3.2.0+).
        ("POST", "/api/v1/accounts/{account_id}/contact_inboxes/filter", "app/controllers/api/v1/accounts/contact_inboxes_controller.rb"),
        // The CSAT survey page's API (`config/routes.rb`: `resources :csat_survey, only: [:show, :update]`).
        ("GET", "/public/api/v1/csat_survey/{id}", "app/controllers/public/api/v1/csat_survey_controller.rb"),
        ("PUT", "/public/api/v1/csat_survey/{id}", "app/controllers/public/api/v1/csat_survey_controller.rb"),
        ("PATCH", "/public/api/v1/csat_survey/{id}", "app/controllers/public/api/v1/csat_survey_controller.rb"),
    ]

    /// Full list of `content_type` values (`app/models/message.rb`); swagger lists only six.
    static let contentTypes: [JSONValue] = [
        "text", "input_text", "input_textarea", "input_email", "input_select", "cards", "form", "article", "incoming_email", "input_csat",
        "integrations", "sticker", "voice_call",
    ]

    /// Patches the request-body schema of an operation.
    static func adjust(method: String, template: String, schema: JSONValue) -> JSONValue {
        switch (method, template) {
        case ("POST", "/api/v1/accounts/{account_id}/conversations"):
            // `app/controllers/api/v1/accounts/conversations_controller.rb`: `source_id` is not required (inbox_id +
            // contact_id generate one). `app/models/conversation.rb`: the status enum also accepts `snoozed`.
            var patched = removingRequired(schema, "source_id")
            patched = extendingEnum(patched, property: "status", with: ["snoozed"])
            return patched
        case ("POST", "/api/v1/accounts/{account_id}/conversations/{conversation_id}/messages"):
            // `app/builders/messages/message_builder.rb`: message_type is a string also accepting `template`; content_type
            // has more values; content_attributes may be an object or a JSON string.
            var patched = extendingEnum(schema, property: "message_type", with: ["template"])
            patched = replacingEnum(patched, property: "content_type", with: contentTypes)
            patched = addingType(patched, property: "content_attributes", type: "string")
            return patched
        case ("PATCH", "/api/v1/accounts/{account_id}/agents/{id}"):
            // `app/controllers/api/v1/accounts/agents_controller.rb#update`: `slice(:role, :availability, :auto_offline).compact`,
            // so `role` may be left out (and Rails' `wrap_parameters` also takes the fields under `agent`).
            return removingRequired(schema, "role")
        case ("PATCH", "/api/v1/accounts/{account_id}/inbox_members"), ("DELETE", "/api/v1/accounts/{account_id}/inbox_members"):
            // `app/controllers/api/v1/accounts/inbox_members_controller.rb`: `inboxes.find(params[:inbox_id])` takes the
            // integer id that `POST` documents; swagger types it as a string here.
            return addingType(schema, property: "inbox_id", type: "integer")
        case ("POST", "/api/v1/accounts/{account_id}/inboxes/{id}/set_agent_bot"):
            // `app/controllers/api/v1/accounts/inboxes_controller.rb`: `{"agent_bot": null}` disconnects the bot.
            return addingType(schema, property: "agent_bot", type: "null")
        default:
            return schema
        }
    }

    static func removingRequired(_ schema: JSONValue, _ key: String) -> JSONValue {
        guard let required = schema["required"]?.arrayValue else { return schema }
        return schema.setting("required", .array(required.filter { $0.stringValue != key }))
    }

    static func extendingEnum(_ schema: JSONValue, property: String, with values: [JSONValue]) -> JSONValue {
        guard let prop = schema["properties"]?[property], let existing = prop["enum"]?.arrayValue else { return schema }
        return replacingProperty(schema, property, prop.setting("enum", .array(existing + values)))
    }

    static func replacingEnum(_ schema: JSONValue, property: String, with values: [JSONValue]) -> JSONValue {
        guard let prop = schema["properties"]?[property] else { return schema }
        return replacingProperty(schema, property, prop.setting("enum", .array(values)))
    }

    static func addingType(_ schema: JSONValue, property: String, type: String) -> JSONValue {
        guard let prop = schema["properties"]?[property] else { return schema }
        var types: [JSONValue] = []
        switch prop["type"] {
        case .string(let t)?: types = [.string(t)]
        case .array(let ts)?: types = ts
        default: break
        }
        types.append(.string(type))
        return replacingProperty(schema, property, prop.setting("type", .array(types)))
    }

    private static func replacingProperty(_ schema: JSONValue, _ property: String, _ value: JSONValue) -> JSONValue {
        guard let properties = schema["properties"] else { return schema }
        return schema.setting("properties", properties.setting(property, value))
    }
}
