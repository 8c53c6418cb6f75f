import HTTPTypes

extension HTTPField.Name {
    /// Chatwoot's webhook headers as field names, made once: a name made per request is checked and lowercased
    /// each time, three to six times per webhook.
    static let chatwootSignature = HTTPField.Name(WebhookSignature.signatureHeader)!
    static let chatwootTimestamp = HTTPField.Name(WebhookSignature.timestampHeader)!
    static let chatwootDelivery = HTTPField.Name(WebhookSignature.deliveryHeader)!
}

/// The headers of a Chatwoot delivery that Baton reads, found in one pass over the request's fields.
///
/// `HTTPFields`' subscript looks a name up and joins the values it finds into a new string, each time: read that way
/// five times a webhook, it cost three quarters as much as the HMAC over the body. A field sent twice reads as the
/// subscript reads it, its values joined with ", " (so two signatures make a malformed one, never a choice of either).
struct WebhookDeliveryHeaders: Sendable {
    /// `X-Chatwoot-Signature`.
    var signature: String?
    /// `X-Chatwoot-Timestamp`.
    var timestamp: String?
    /// `X-Chatwoot-Delivery`.
    var delivery: String?

    init(_ fields: HTTPFields) {
        for field in fields {
            switch field.name {
            case .chatwootSignature: Self.add(field.value, to: &signature)
            case .chatwootTimestamp: Self.add(field.value, to: &timestamp)
            case .chatwootDelivery: Self.add(field.value, to: &delivery)
            default: continue
            }
        }
    }

    private static func add(_ value: String, to field: inout String?) {
        field = field.map { "\($0), \(value)" } ?? value
    }
}
