import HTTPTypes
import Testing

@testable import BatonServer

/// The three headers of a Chatwoot delivery, read in one pass over a request's fields.
@Suite struct WebhookDeliveryHeadersTests {
    @Test func eachIsFoundWhateverItsCaseAndTheRestIsIgnored() {
        var fields = HTTPFields()
        fields[.contentType] = "application/json"
        fields[HTTPField.Name("x-chatwoot-signature")!] = "sha256=ab"
        fields[HTTPField.Name("X-CHATWOOT-TIMESTAMP")!] = "1781691824"
        fields[HTTPField.Name("X-Chatwoot-Delivery")!] = "d-1"
        fields[HTTPField.Name("X-Chatwoot-Other")!] = "nothing"
        let headers = WebhookDeliveryHeaders(fields)
        #expect(headers.signature == "sha256=ab")
        #expect(headers.timestamp == "1781691824")
        #expect(headers.delivery == "d-1")
        #expect(WebhookDeliveryHeaders(HTTPFields()).signature == nil)
    }

    /// As `HTTPFields`' subscript reads a field sent twice: its values joined, so two signatures make a malformed one.
    @Test func aFieldSentTwiceReadsAsItsValuesJoined() {
        var fields = HTTPFields()
        fields.append(HTTPField(name: .chatwootSignature, value: "sha256=aa"))
        fields.append(HTTPField(name: .chatwootTimestamp, value: "1"))
        fields.append(HTTPField(name: .chatwootSignature, value: "sha256=bb"))
        let headers = WebhookDeliveryHeaders(fields)
        #expect(headers.signature == fields[.chatwootSignature])
        #expect(headers.signature == "sha256=aa, sha256=bb")
        #expect(headers.timestamp == "1")
        #expect(headers.delivery == nil)
    }
}
