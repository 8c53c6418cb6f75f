import Foundation

/// Writes compact JSON straight to bytes, as ``JSONValue/jsonText`` writes a value, without building the value.
///
/// Every relayed message stores its content and its session's state; building each as a tree of `JSONValue`
/// dictionaries only to write them out again was most of what storing cost. An object's members must be given in
/// the order of their names (the order `jsonText` sorts them in, so the text is the same as before); debug builds
/// check it.
public struct JSONTextWriter {
    private(set) var bytes: [UInt8] = []
    /// Whether the object being written has no member yet.
    private var isFirst = true
    #if DEBUG
        private var lastName: String?
    #endif

    init() {
        bytes.reserveCapacity(256)
    }

    /// The text written.
    var text: String { String(decoding: bytes, as: UTF8.self) }

    /// Writes an object whose members `write` gives, in name order.
    mutating func object(_ write: (inout JSONTextWriter) -> Void) {
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
    mutating func array<Items: Sequence>(_ items: Items, _ write: (inout JSONTextWriter, Items.Element) -> Void) {
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

    /// The member `name`, its value written by `write`.
    mutating func member(_ name: String, _ write: (inout JSONTextWriter) -> Void) {
        self.name(name)
        write(&self)
    }

    /// The member `name` with `value`; none when `value` is `nil` (as the synthesized `Codable` leaves it out).
    mutating func member(_ name: String, _ value: JSONValue?) {
        guard let value else { return }
        self.name(name)
        value.write(into: &bytes)
    }

    mutating func member(_ name: String, _ value: String?) {
        guard let value else { return }
        self.name(name)
        JSONValue.writeString(value, into: &bytes)
    }

    mutating func member(_ name: String, _ value: Int?) {
        guard let value else { return }
        self.name(name)
        JSONValue.writeNumber(Double(value), into: &bytes)
    }

    mutating func member(_ name: String, _ value: Int64?) {
        guard let value else { return }
        self.name(name)
        JSONValue.writeNumber(Double(value), into: &bytes)
    }

    mutating func member(_ name: String, _ value: Double?) {
        guard let value else { return }
        self.name(name)
        JSONValue.writeNumber(value, into: &bytes)
    }

    mutating func member(_ name: String, _ value: Bool?) {
        guard let value else { return }
        self.name(name)
        JSONValue.bool(value).write(into: &bytes)
    }

    /// A date as `Codable` writes one by default: seconds since 2001-01-01.
    mutating func member(_ name: String, _ value: Date?) {
        member(name, value?.timeIntervalSinceReferenceDate)
    }

    mutating func member(_ name: String, _ value: (some JSONStorable)?) {
        guard let value else { return }
        self.name(name)
        value.write(to: &self)
    }

    /// A value on its own (an array's element).
    mutating func value(_ value: some JSONStorable) {
        value.write(to: &self)
    }

    mutating func value(_ value: String) {
        JSONValue.writeString(value, into: &bytes)
    }
}
