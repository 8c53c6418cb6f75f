/// SQL `LIKE` / `ILIKE` matching, so contact search treats `%` and `_` in the query as Postgres does.
enum SQLLike {
    /// Whether `text` matches `pattern` (`%` any run, `_` one character, `\` escapes).
    static func matches(_ text: String, pattern: String, caseInsensitive: Bool) -> Bool {
        let t = Array(caseInsensitive ? text.lowercased() : text)
        let p = Array(caseInsensitive ? pattern.lowercased() : pattern)
        // Tokens: (character, isWildcardAny, isWildcardOne)
        var tokens: [(Character, Bool, Bool)] = []
        var i = 0
        while i < p.count {
            if p[i] == "\\", i + 1 < p.count {
                tokens.append((p[i + 1], false, false))
                i += 2
                continue
            }
            tokens.append((p[i], p[i] == "%", p[i] == "_"))
            i += 1
        }
        // Classic DP over (token, text) positions.
        var reachable = [Bool](repeating: false, count: t.count + 1)
        reachable[0] = true
        for token in tokens {
            var next = [Bool](repeating: false, count: t.count + 1)
            if token.1 {
                var any = false
                for j in 0...t.count {
                    any = any || reachable[j]
                    next[j] = any
                }
            } else {
                for j in 0..<t.count where reachable[j] && (token.2 || t[j] == token.0) { next[j + 1] = true }
            }
            reachable = next
        }
        return reachable[t.count]
    }

    /// `"%" + query + "%"` — a substring search with the query's own wildcards kept.
    static func contains(_ text: String?, _ query: String, caseInsensitive: Bool) -> Bool {
        guard let text else { return false }
        return matches(text, pattern: "%\(query)%", caseInsensitive: caseInsensitive)
    }
}
