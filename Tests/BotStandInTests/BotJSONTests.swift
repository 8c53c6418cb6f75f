import BotStandIn
import Testing
import StandInJSON

@Suite struct JSONValueTests {
    @Test func parsesAndWritesInOrder() throws {
        let text = #"{"b":1,"a":[true,null,2.5,"x\n\u00e9\ud83d\ude00"],"c":{}}"#
        let value = try JSONValue.parse(text)
        #expect(value.keys == ["b", "a", "c"])
        #expect(value["a"]?[3] == .string("x\né😀"))
        #expect(value.compactString == #"{"b":1,"a":[true,null,2.5,"x\né😀"],"c":{}}"#)
        #expect(value["b"]?.boolValue == nil)
    }

    @Test func pythonStyles() throws {
        let value: JSONValue = ["text": "Grüße 😀", "n": [1, 2]]
        #expect(JSONWriter.string(value, style: .pythonDumps) == #"{"text": "Gr\u00fc\u00dfe \ud83d\ude00", "n": [1, 2]}"#)
        #expect(JSONWriter.string(value, style: .compactASCII) == #"{"text":"Gr\u00fc\u00dfe \ud83d\ude00","n":[1,2]}"#)
    }

    @Test func rejectsWhatIsNotJSON() {
        for text in ["", "{", "[1,]", "{\"a\" 1}", "tru", "1 2", "\"\u{01}\""] {
            #expect(throws: JSONParser.SyntaxError.self) { try JSONValue.parse(text) }
        }
    }
}
