extension HubWireEvent {
    /// The `session` member of an announcement's top-level object, read without parsing the rest: an instance that
    /// holds no socket of that session drops the announcement without decoding it (the message inside included),
    /// so an event costs the instances that do not hold its session next to nothing. Works on the payloads of every
    /// version (the member's place in the object does not matter, and nested objects are skipped whole, so a
    /// `session` inside a message's data is never taken for it). `nil` when the payload is not a JSON object with a
    /// plain string there (escapes included): the caller then decodes the whole payload, as before.
    static func session(in payload: String) -> String? {
        plainMember("session", of: payload) { String(decoding: $0, as: UTF8.self) }
    }

    /// Whether `instance` sent the announcement, read off the payload the same way (see `session(in:)`) and
    /// compared in place: an instance's own announcements on the shared channel come back to it and are dropped unread.
    static func isSent(by instance: String, _ payload: String) -> Bool {
        plainMember("from", of: payload) { $0.elementsEqual(instance.utf8) } ?? false
    }

    /// `read` given the bytes of the top-level member `name`, when it is a plain string.
    private static func plainMember<Result>(
        _ name: String, of payload: String, _ read: (Slice<UnsafeBufferPointer<UInt8>>) -> Result
    ) -> Result? {
        var payload = payload
        // The string's own bytes, not a copy: this runs for every announcement of every instance.
        return payload.withUTF8 { bytes in
            var scanner = TopLevelScanner(bytes: bytes)
            return scanner.plainMember(name).map(read)
        }
    }
}

/// Walks a JSON object's top-level members, skipping every value but the one asked for.
private struct TopLevelScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// The bytes of the member `name` when it is a plain string; `nil` when it is not there or not one.
    mutating func plainMember(_ name: String) -> Slice<UnsafeBufferPointer<UInt8>>? {
        skipSpace()
        guard take(UInt8(ascii: "{")) else { return nil }
        while true {
            skipSpace()
            guard let key = plainString() else { return nil }
            skipSpace()
            guard take(UInt8(ascii: ":")) else { return nil }
            skipSpace()
            if key.elementsEqual(name.utf8) { return plainString() }
            guard skipValue() else { return nil }
            skipSpace()
            guard take(UInt8(ascii: ",")) else { return nil }
        }
    }

    /// A string without escapes, as the bytes between its quotes; `nil` (and no use going on) for anything else.
    mutating func plainString() -> Slice<UnsafeBufferPointer<UInt8>>? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = index
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\""):
                defer { index += 1 }
                return bytes[start..<index]
            case UInt8(ascii: "\\"): return nil
            default: index += 1
            }
        }
        return nil
    }

    /// Skips one value of any kind (strings with their escapes, objects and arrays with everything inside).
    mutating func skipValue() -> Bool {
        guard index < bytes.count else { return false }
        switch bytes[index] {
        case UInt8(ascii: "\""):
            return skipString()
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: "\""):
                    guard skipString() else { return false }
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 {
                        index += 1
                        return true
                    }
                default:
                    break
                }
                index += 1
            }
            return false
        default:
            // A number or a literal: up to the next comma, bracket or space.
            while index < bytes.count, !Self.ends.contains(bytes[index]) { index += 1 }
            return true
        }
    }

    private static let spaces: [UInt8] = [UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\t"), UInt8(ascii: "\r")]
    private static let ends: [UInt8] = spaces + [UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]")]

    private mutating func skipString() -> Bool {
        index += 1
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\\"): index += 2
            case UInt8(ascii: "\""):
                index += 1
                return true
            default: index += 1
            }
        }
        return false
    }

    private mutating func skipSpace() {
        while index < bytes.count, Self.spaces.contains(bytes[index]) { index += 1 }
    }

    private mutating func take(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }
}
