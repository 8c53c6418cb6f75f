import BotStandIn
import Testing

@Suite struct BotJSONTests {
    @Test func parsesAndWritesInOrder() throws {
        let text = #"{"b":1,"a":[true,null,2.5,"x\n\u00e9\ud83d\ude00"],"c":{}}"#
        let value = try BotJSON.parse(text)
        #expect(value.keys == ["b", "a", "c"])
        #expect(value["a"]?[3] == .string("x\né😀"))
        #expect(value.compactText == #"{"b":1,"a":[true,null,2.5,"x\né😀"],"c":{}}"#)
        #expect(value["b"]?.boolValue == nil)
    }

    @Test func pythonStyles() throws {
        let value: BotJSON = ["text": "Grüße 😀", "n": [1, 2]]
        #expect(BotJSONWriter.string(value, style: .pythonDumps) == #"{"text": "Gr\u00fc\u00dfe \ud83d\ude00", "n": [1, 2]}"#)
        #expect(BotJSONWriter.string(value, style: .compactASCII) == #"{"text":"Gr\u00fc\u00dfe \ud83d\ude00","n":[1,2]}"#)
    }

    @Test func rejectsWhatIsNotJSON() {
        for text in ["", "{", "[1,]", "{\"a\" 1}", "tru", "1 2", "\"\u{01}\""] {
            #expect(throws: BotJSONParser.SyntaxError.self) { try BotJSON.parse(text) }
        }
    }
}
