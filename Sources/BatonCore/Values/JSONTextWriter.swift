public import Foundation

/// Writes compact JSON straight to bytes, as ``JSONValue/jsonText`` writes a value, without building the value.
///
/// Every relayed message stores its content and its session's state; building each as a tree of `JSONValue`
/// dictionaries only to write them out again was most of what storing cost. An object's members must be given in
/// the order of their names (the order `jsonText` sorts them in, so the text is the same as before); debug builds
/// check it. An optional member that is `nil` is left out, as the synthesized `Codable` leaves it out.
public struct JSONTextWriter {
    private(set) var bytes: [UInt8] = []
    /// Whether the object being written has no member yet.
    private var isFirst = true
    #if DEBUG
        private var lastName: String?
    #endif

    public init() {
        bytes.reserveCapacity(256)
    }

    /// The text written.
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// Writes an object whose members `write` gives, in name order.
    public mutating func object(_ write: (inout JSONTextWriter) -> Void) {
        bytes.append(UInt8(ascii: "{"))
        let outer = isFirst
        isFirst = true
        #if DEBUG
            let outerName = lastName
            lastName = nil
        #endif
        write(&self)
        isFirst = outer
        #if DEBUG
            lastName = outerName
        #endif
        bytes.append(UInt8(ascii: "}"))
    }

    /// Writes an array of `items`, each with `write`.
    public mutating func array<Items: Sequence>(_ items: Items, _ write: (inout JSONTextWriter, Items.Element) -> Void) {
        bytes.append(UInt8(ascii: "["))
        var first = true
        for item in items {
            if !first { bytes.append(UInt8(ascii: ",")) }
            first = false
            write(&self, item)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// Starts the member `name` of the object being written: its value is written next.
    private mutating func name(_ name: String) {
        #if DEBUG
            if let lastName { assert(lastName < name, "member '\(name)' written after '\(lastName)': members go in name order") }
            lastName = name
        #endif
        if !isFirst { bytes.append(UInt8(ascii: ",")) }
        isFirst = false
        JSONValue.writeString(name, into: &bytes)
        bytes.append(UInt8(ascii: ":"))
    }

    /// The member `name` as an array of `items`, each written by `write`; none when `items` is `nil`.
    public mutating func member<Items: Sequence>(_ name: String, array items: Items?, _ write: (inout JSONTextWriter, Items.Element) -> Void) {
        guard let items else { return }
        self.name(name)
        array(items, write)
    }

    /// The member `name` written by `write` from `value`; none when `value` is `nil` (as the synthesized `Codable`
    /// leaves it out). Every typed member below is this.
    private mutating func member<Value>(_ name: String, _ value: Value?, _ write: (Value, inout [UInt8]) -> Void) {
        guard let value else { return }
        self.name(name)
        write(value, &bytes)
    }

    /// The member `name` with `value`; none when `value` is `nil`.
    public mutating func member(_ name: String, _ value: JSONValue?) {
        member(name, value) { value, bytes in value.write(into: &bytes) }
    }

    /// The member `name` with `value`; none when `value` is `nil`.
    public mutating func member(_ name: String, _ value: String?) {
        member(name, value, JSONValue.writeString)
    }

    /// The member `name` with `value`, written as a double (exact up to 2^53); none when `value` is `nil`.
    public mutating func member(_ name: String, _ value: (some BinaryInteger)?) {
        member(name, value) { value, bytes in JSONValue.writeNumber(Double(value), into: &bytes) }
    }

    /// The member `name` with `value`; none when `value` is `nil`.
    public mutating func member(_ name: String, _ value: Double?) {
        member(name, value, JSONValue.writeNumber)
    }

    /// The member `name` with `value`; none when `value` is `nil`.
    public mutating func member(_ name: String, _ value: Bool?) {
        member(name, value) { value, bytes in JSONValue.bool(value).write(into: &bytes) }
    }

    /// The member `name` as an object whose members `write` gives.
    public mutating func member(_ name: String, object write: (inout JSONTextWriter) -> Void) {
        self.name(name)
        object(write)
    }

    /// The member `name` as an object whose members `write` gives from `value`; none when `value` is `nil`.
    public mutating func member<Value>(_ name: String, object value: Value?, _ write: (inout JSONTextWriter, Value) -> Void) {
        guard let value else { return }
        self.name(name)
        object { write(&$0, value) }
    }

    /// A date as `Codable` writes one by default: seconds since 2001-01-01.
    public mutating func member(_ name: String, _ value: Date?) {
        member(name, value?.timeIntervalSinceReferenceDate)
    }

    /// The member `name` as `value` writes itself; none when `value` is `nil`.
    public mutating func member(_ name: String, _ value: (some JSONStorable)?) {
        guard let value else { return }
        self.name(name)
        value.write(to: &self)
    }

    /// A value on its own (an array's element).
    public mutating func value(_ value: some JSONStorable) {
        value.write(to: &self)
    }

    /// A string on its own (an array's element).
    public mutating func value(_ value: String) {
        JSONValue.writeString(value, into: &bytes)
    }
}
