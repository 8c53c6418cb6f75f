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
        // Integers of up to 15 digits take a path of their own; past it, and with a fraction or an exponent, `Double`.
        "[0, -0, 7, -42, 123456789012345, -999999999999999, 1234567890123456, 9007199254740993, 1e2, 1E+2, 1.5, -0.0, 0e0]",
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

    /// A view's members, read, are what the whole parse builds, at every depth, a repeated name's last value too.
    @Test func aViewsMembersAreWhatTheWholeParseBuilds() throws {
        let text = #" {"messages": [{"id": 1, "content": "a\u00e9"}], "conversation": {"id": 7, "meta": {"sender": null, "n": -2.5e3}, "id": 8}, "id": 3, "s": "\"q\""} "#
        let view = try #require(try JSONObjectView(validating: Array(text.utf8)))
        let whole = try JSONValue.parse(Array(text.utf8))
        #expect(view.names == ["messages", "conversation", "id", "s"])
        for name in view.names { #expect(view.value(name) == whole[name], "\(name)") }
        #expect(view.value("absent") == nil && view.object("absent") == nil)
        let conversation = try #require(view.object("conversation"))
        #expect(conversation.value("id") == 8, "the last of a repeated name")
        #expect(conversation.object("meta")?.value("sender") == .null)
        #expect(conversation.object("meta")?.value("n") == -2500)
        #expect(view.object("messages") == nil && view.object("id") == nil, "not objects")
    }

    /// Names are compared where they lie in the text; one written with escapes is still found by its text.
    @Test func aViewFindsNamesWrittenWithEscapes() throws {
        let text = #"{"na\u006de": 1, "caf\u00e9": {"x": 2}, "é": 3, "nam": 4, "namex": 5}"#
        let view = try #require(try JSONObjectView(validating: Array(text.utf8)))
        #expect(view.names == ["name", "café", "é", "nam", "namex"])
        #expect(view.value("name") == 1 && view.value("é") == 3 && view.value("nam") == 4 && view.value("namex") == 5)
        #expect(view.object("café")?.value("x") == 2)
        #expect(view.value("na") == nil && view.value("na\\u006de") == nil && view.value("cafe") == nil)
    }

    @Test func aViewIsNoneForJSONThatIsNotAnObject() throws {
        for text in [" [1, {}] ", #""text""#, "42", "null"] {
            #expect(try JSONObjectView(validating: Array(text.utf8)) == nil, "\(text)")
        }
        #expect(throws: JSONParseError.self) { try JSONObjectView(validating: Array("[1,]".utf8)) }
        #expect(throws: JSONParseError.self) { try JSONObjectView(validating: Array("{} {}".utf8)) }
    }

    /// What a view never builds is checked as strictly as what the whole parse builds: a body that is not JSON is
    /// an error wherever the fault lies.
    @Test(arguments: [
        "[1,]", #"{"a":1,}"#, "01", "1.", "-", "+1", ".5", "1e", "tru", "nul", #"{"a" 1}"#, #"{a:1}"#, "[1 2]", "{",
        "\"unterminated", "\"tab\there\"", #""\x""#, #""\u12g4""#, "1e999", "NaN", "",
    ])
    func membersNeverReadMustBeJSONToo(_ fault: String) {
        let text = #"{"unread": {"inner": "# + fault + "}}"
        #expect(throws: JSONParseError.self) { try JSONObjectView(validating: Array(text.utf8)) }
    }

    @Test(arguments: [[0xC3, 0x28], [0xED, 0xA0, 0x80], [0xC0, 0xAF]] as [[UInt8]])
    func stringsNeverReadMustBeUTF8(_ invalid: [UInt8]) {
        let open = Array(#"{"unread": ["ok", ""#.utf8)
        #expect(throws: JSONParseError.self) { try JSONObjectView(validating: open + invalid + Array(#""]}"#.utf8)) }
        #expect(throws: JSONParseError.self) { try JSONObjectView(validating: open + [0x5C, 0x6E] + invalid + Array(#""]}"#.utf8)) }
        #expect(throws: Never.self) { try JSONObjectView(validating: open + Array(#"\n\u00e9"]}"#.utf8)) }
    }

    @Test func deepNestingInAMemberNeverReadIsAnErrorToo() {
        let deep = #"{"unread": "# + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}"
        #expect(throws: JSONParseError.self) { try JSONObjectView(validating: Array(deep.utf8)) }
        let fine = #"{"unread": "# + String(repeating: "[", count: 500) + String(repeating: "]", count: 500) + "}"
        #expect(throws: Never.self) { try JSONObjectView(validating: Array(fine.utf8)) }
    }

    @Test func minusZeroStaysNegative() throws {
        guard case .number(let zero) = try JSONValue.parse(Array("-0".utf8)) else {
            Issue.record("not a number")
            return
        }
        #expect(zero == 0 && zero.sign == .minus)
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
