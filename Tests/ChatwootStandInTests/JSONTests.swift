import Testing

@testable import ChatwootStandIn

@Suite struct JSONTests {
    @Test func railsEscaping() {
        let value: JSONValue = ["a": "<b> & \u{2028}", "n": 1, "f": 1.5, "x": .null]
        #expect(JSONWriter.string(value) == #"{"a":"\u003cb\u003e \u0026 \u2028","n":1,"f":1.5,"x":null}"#)
    }
}
