import BatonCore
import Foundation
import Testing

@Suite struct JSONParsingTests {
    static let documents = [
        #"{"event":"message_created","id":57,"content":"Hi \"there\"\n\u00e9\ud83d\ude00","private":false,"attachments":[],"sender":null}"#,
        #"[1, -0.5, 2e3, 1E-2, 0, -0, 123456789012, true, false, null, "", {}, []]"#,
        #"  {"a": {"b": [{"c": "\/\\\b\f\n\r\t"}]}, "unicode": "漢字 ü ñ", "empty": {} }  "#,
        #""just a string""#,
        "42",
    ]

    @Test(arguments: documents)
    func parsesWhatFoundationParsesToTheSameValue(_ text: String) throws {
        let expected = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect(try JSONValue.parse(Array(text.utf8)) == expected)
    }

    /// RFC 8259 leaves repeated names open; here the last value wins (as a JavaScript reader, Chatwoot's widget
    /// for one, takes it).
    @Test func aRepeatedNameKeepsItsLastValue() throws {
        let text = #"{"a": 1, "b": {"c": true, "c": false}, "a": "last"}"#
        #expect(try JSONValue.parse(Array(text.utf8)) == ["a": "last", "b": ["c": false]])
    }

    @Test func aValueSurvivesWritingAndParsing() throws {
        let value: JSONValue = ["text": "line\nbreak \u{1F600} \"quoted\"", "n": 3.25, "list": [1, "two", nil, false], "nested": ["deep": ["x": "y"]]]
        #expect(try JSONValue.parse(Array(value.jsonText.utf8)) == value)
    }

    @Test(arguments: [
        "", "{", "[1,]", #"{"a":1,}"#, "01", "1.", "-", "+1", ".5", "1e", "tru", "nul", #"{"a" 1}"#, #"{a:1}"#, "[1 2]", "{} {}",
        "\"unterminated", "\"tab\there\"", #""\x""#, #""\u12g4""#, "1e999", "NaN",
    ])
    func refusesWhatIsNotJSON(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(Array(text.utf8)) }
    }

    /// Bytes that are not UTF-8, in a string with no escape and after one (the parser's two paths): a broken
    /// sequence, an encoded surrogate, an overlong form, a code point past U+10FFFF, a truncated sequence.
    @Test(arguments: [
        [0xC3, 0x28], [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82],
    ] as [[UInt8]])
    func refusesInvalidUTF8(_ invalid: [UInt8]) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse([0x22] + invalid + [0x22]) }
        #expect(throws: JSONParseError.self) { try JSONValue.parse([0x22, 0x5C, 0x6E] + invalid + [0x22]) }
    }

    @Test func skippedMembersAreLeftOutAtTheirPathOnly() throws {
        let text = #"{"messages": [{"id": 1, "content": "a\u00e9"}], "conversation": {"id": 7, "messages": [{"x": {"y": [true, null, -2.5e3]}}], "meta": {"messages": "kept"}}, "id": 3}"#
        let parsed = try JSONValue.parse(Array(text.utf8), skipping: [["messages"], ["conversation", "messages"]])
        #expect(parsed == ["conversation": ["id": 7, "meta": ["messages": "kept"]], "id": 3])
        // With nothing to skip it is the plain parse.
        #expect(try JSONValue.parse(Array(text.utf8), skipping: []) == JSONValue.parse(Array(text.utf8)))
    }

    /// What is skipped is checked as strictly as what is built: a body that is not JSON is an error wherever the
    /// fault lies.
    @Test(arguments: [
        "[1,]", #"{"a":1,}"#, "01", "1.", "-", "+1", ".5", "1e", "tru", "nul", #"{"a" 1}"#, #"{a:1}"#, "[1 2]", "{",
        "\"unterminated", "\"tab\there\"", #""\x""#, #""\u12g4""#, "1e999", "NaN", "",
    ])
    func skippedMembersMustBeJSONToo(_ fault: String) {
        let text = #"{"skip": {"inner": "# + fault + "}}"
        #expect(throws: JSONParseError.self) { try JSONValue.parse(Array(text.utf8), skipping: [["skip"]]) }
    }

    @Test(arguments: [[0xC3, 0x28], [0xED, 0xA0, 0x80], [0xC0, 0xAF]] as [[UInt8]])
    func skippedStringsMustBeUTF8(_ invalid: [UInt8]) {
        let open = Array(#"{"skip": ["ok", ""#.utf8)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(open + invalid + Array(#""]}"#.utf8), skipping: [["skip"]]) }
        #expect(throws: JSONParseError.self) { try JSONValue.parse(open + [0x5C, 0x6E] + invalid + Array(#""]}"#.utf8), skipping: [["skip"]]) }
        #expect(throws: Never.self) { try JSONValue.parse(open + Array(#"\n\u00e9"]}"#.utf8), skipping: [["skip"]]) }
    }

    @Test func deepNestingInASkippedMemberIsAnErrorToo() {
        let deep = #"{"skip": "# + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}"
        #expect(throws: JSONParseError.self) { try JSONValue.parse(Array(deep.utf8), skipping: [["skip"]]) }
    }

    @Test func loneSurrogatesBecomeReplacementCharacters() throws {
        #expect(try JSONValue.parse(Array(#""a\ud800b""#.utf8)) == "a\u{FFFD}b")
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(Array(deep.utf8)) }
        let fine = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        #expect(throws: Never.self) { try JSONValue.parse(Array(fine.utf8)) }
    }
}
