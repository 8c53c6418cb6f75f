/// A JSON object whose whole text has been checked, but whose members are built only when read.
///
/// A Chatwoot webhook carries well over a hundred members (the conversation, its contact, its last message, the
/// inbox, the account…) of which a decoder reads a dozen or two; building them all, dictionaries and strings, was
/// most of the cost of parsing one. A view records where each member's value lies; a member that is read is built
/// then, an object member as a view of its own. The text is checked as strictly as ``JSONValue/parse(_:maxDepth:)``
/// checks it, all of it and once, when the view is made, so what is never read is still refused when it is not JSON,
/// and reading cannot fail.
public struct JSONObjectView: Sendable {
    /// One member of an object of the text: its name, the bytes of its value, and, when the value is an object, where
    /// that object's own members are in ``Document/members``.
    private struct Member: Sendable {
        /// Where the name lies between its quotes, and whether those bytes are the name (no escapes): names are
        /// compared in place, since making a string of each of a webhook's names cost more than the rest of the index.
        let name: JSONByteParser.NameSpan
        let value: Range<Int>
        let members: Range<Int>?
    }

    /// The text and every object's members, found in the one pass that checked it: each object's members lie
    /// together, so a view is a range of them and reading a member never scans the text again.
    private final class Document: Sendable {
        let bytes: [UInt8]
        let maxDepth: Int
        let members: [Member]

        init(bytes: [UInt8], maxDepth: Int, members: [Member]) {
            self.bytes = bytes
            self.maxDepth = maxDepth
            self.members = members
        }
    }

    private let document: Document
    /// This object's members in the document.
    private let members: Range<Int>
    /// The object's depth in the text (the top value's is 1), so that building a member counts depth as the
    /// whole parse did.
    private let depth: Int

    /// The object `bytes` hold, checked whole; `nil` when they hold JSON that is not an object.
    public init?(validating bytes: some Collection<UInt8>, maxDepth: Int = 512) throws(JSONParseError) {
        var parser = JSONByteParser(bytes: Array(bytes), maxDepth: maxDepth)
        parser.skipWhitespace()
        let isObject = parser.index < parser.bytes.count && parser.bytes[parser.index] == UInt8(ascii: "{")
        var found: [Member] = []
        var top = 0..<0
        if isObject {
            // Room for about the members a text of this size holds (a webhook's run 20 to 30 bytes each; a
            // webhook has a few hundred at most), so that the arrays are not grown and copied a member at a time:
            // growing them was 5 % of a relayed reply's allocations.
            found.reserveCapacity(min(parser.bytes.count / 20, 1_024))
            var open: [Member] = []
            open.reserveCapacity(64)
            top = try Self.index(&parser, depth: 1, open: &open, into: &found)
        } else {
            // Not an object (or not JSON): checked all the same, so the caller learns which.
            try parser.skipValue(depth: 0)
        }
        parser.skipWhitespace()
        guard parser.index == parser.bytes.count else { throw parser.error("unexpected bytes after the value") }
        guard isObject else { return nil }
        document = Document(bytes: parser.bytes, maxDepth: maxDepth, members: found)
        members = top
        depth = 1
    }

    private init(document: Document, members: Range<Int>, depth: Int) {
        self.document = document
        self.members = members
        self.depth = depth
    }

    /// Checks the object at the parser's cursor and everything in it, adding its members (after those of the
    /// objects in them, which end first) to `found`; returns where its own are. The members of the objects still
    /// open wait in `open`, one stack for all, so an object costs no array of its own.
    private static func index(
        _ parser: inout JSONByteParser, depth: Int, open: inout [Member], into found: inout [Member]
    ) throws(JSONParseError) -> Range<Int> {
        let own = open.count
        try parser.memberNames(depth: depth) { parser, name throws(JSONParseError) in
            let start = parser.index
            if start < parser.bytes.count, parser.bytes[start] == UInt8(ascii: "{") {
                let inner = try index(&parser, depth: depth + 1, open: &open, into: &found)
                open.append(Member(name: name, value: start..<parser.index, members: inner))
            } else {
                try parser.skipValue(depth: depth)
                open.append(Member(name: name, value: start..<parser.index, members: nil))
            }
        }
        let first = found.count
        found.append(contentsOf: open[own...])
        open.removeSubrange(own...)
        return first..<found.count
    }

    /// The members' names, in the text's order (a repeated name as often as it appears).
    public var names: [String] {
        let parser = JSONByteParser(bytes: document.bytes, maxDepth: document.maxDepth)
        return document.members[members].map { parser.name($0.name) }
    }

    /// The member `name`; the last one when the name is repeated, as in a parse.
    private func member(_ name: String) -> Member? {
        let parser = JSONByteParser(bytes: document.bytes, maxDepth: document.maxDepth)
        return document.members[members].last(where: { parser.name($0.name, is: name) })
    }

    /// The value of the member `name`, built; `nil` when there is no such member (a `null` is `.null`).
    public func value(_ name: String) -> JSONValue? {
        guard let member = member(name) else { return nil }
        var parser = JSONByteParser(bytes: document.bytes, maxDepth: document.maxDepth)
        parser.index = member.value.lowerBound
        // Checked when the view was made: the same bytes through the same grammar cannot fail now.
        guard let value = try? parser.value(depth: depth) else { preconditionFailure("a checked member failed to parse") }
        return value
    }

    /// The member `name` as a view of its own when its value is an object; `nil` when it is absent or not an object.
    public func object(_ name: String) -> JSONObjectView? {
        guard let inner = member(name)?.members else { return nil }
        return JSONObjectView(document: document, members: inner, depth: depth + 1)
    }
}
