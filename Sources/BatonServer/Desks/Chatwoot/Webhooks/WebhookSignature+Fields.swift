import HTTPTypes

extension HTTPField.Name {
    /// Chatwoot's webhook headers as field names, made once: a name made per request is checked and lowercased
    /// each time, three to six times per webhook.
    static let chatwootSignature = HTTPField.Name(WebhookSignature.signatureHeader)!
    static let chatwootTimestamp = HTTPField.Name(WebhookSignature.timestampHeader)!
    static let chatwootDelivery = HTTPField.Name(WebhookSignature.deliveryHeader)!
}
