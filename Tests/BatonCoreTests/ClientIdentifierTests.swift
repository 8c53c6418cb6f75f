import BatonCore
import Testing

@Suite struct ClientIdentifierTests {
    @Test(arguments: ["c-0001", "crm-42", "ü-ñ-漢字", String(repeating: "x", count: 128)])
    func plainIdsAreAccepted(_ id: String) {
        #expect(ClientIdentifier.isValid(id, maxLength: 128))
    }

    @Test(arguments: ["", "a\u{0}b", "line\nbreak", "tab\there", "\u{1B}[31mred", "del\u{7F}", "c1\u{85}", String(repeating: "x", count: 129)])
    func emptyLongOrControlCharactersAreRefused(_ id: String) {
        #expect(!ClientIdentifier.isValid(id, maxLength: 128))
    }

    /// Lengths count Unicode scalars, as the API's JSON Schema does: an id of 128 letters each with a combining
    /// accent is 256 scalars, too long, though it shows as 128 characters.
    @Test func lengthsCountScalarsAsTheSchemaDoes() {
        #expect(!ClientIdentifier.isValid(String(repeating: "e\u{301}", count: 128), maxLength: 128))
        #expect(ClientIdentifier.isValid(String(repeating: "e\u{301}", count: 64), maxLength: 128))
    }
}
