/// A shell-style glob (`*` matches any run of characters, including none and
/// including `/`; `?` matches exactly one Unicode scalar; everything else matches
/// itself byte for byte). There are no escapes and no character classes.
///
/// Used by the condition language (`s matches "acme-*"`) and by trust rules'
/// allowed-actor patterns. Both see attacker-chosen text, so matching runs in
/// time linear in text + pattern for patterns whose `*`-free pieces are at most
/// 64 scalars (bit-parallel search), and the cost of every match is reported so
/// that callers can bound it. A classic backtracking matcher would be quadratic on
/// `a*a*a*…b` against `aaaa…`; this one never backtracks.
public struct GlobPattern: Sendable, Hashable, CustomStringConvertible {
    public let pattern: String
    /// Pieces between `*`s, as scalar values; `nil` elements stand for `?`.
    let pieces: [[UInt32?]]
    /// False when the pattern contains no `*` (the whole text must match `pieces[0]`).
    let hasStar: Bool

    public init(_ pattern: String) {
        self.pattern = pattern
        var pieces: [[UInt32?]] = [[]]
        var hasStar = false
        for scalar in pattern.unicodeScalars {
            switch scalar {
            case "*":
                hasStar = true
                if !pieces[pieces.count - 1].isEmpty || pieces.count == 1 { pieces.append([]) }
            case "?": pieces[pieces.count - 1].append(nil)
            default: pieces[pieces.count - 1].append(scalar.value)
            }
        }
        self.pieces = pieces
        self.hasStar = hasStar
    }

    public var description: String { pattern }

    /// True when the pattern has no wildcard, i.e. it only matches itself.
    public var isLiteral: Bool { !hasStar && !pieces[0].contains(nil) }

    /// The literal text before the first wildcard.
    public var literalPrefix: String {
        var scalars = String.UnicodeScalarView()
        for value in pieces[0] {
            guard let value, let scalar = Unicode.Scalar(value) else { break }
            scalars.append(scalar)
        }
        return String(scalars)
    }

    public func matches(_ text: String) -> Bool {
        match(text, budget: Int.max).matched
    }

    /// Matches and reports the work done (scalars examined), for step budgets. Stops early,
    /// unmatched, once the work exceeds `budget`; callers then see `cost > budget`.
    func match(_ text: String, budget: Int) -> (matched: Bool, cost: Int) {
        let scalars = text.unicodeScalars.map(\.value)
        var cost = scalars.count + pattern.unicodeScalars.count
        let n = scalars.count
        if !hasStar {
            let piece = pieces[0]
            guard piece.count == n else { return (false, cost) }
            return (Self.matchesAt(piece, scalars, 0), cost)
        }
        // pieces[0] is anchored at the start, pieces.last at the end (empty when the pattern ends with `*`).
        let first = pieces[0]
        let last = pieces.count > 1 ? pieces[pieces.count - 1] : []
        guard first.count + last.count <= n else { return (false, cost) }
        guard Self.matchesAt(first, scalars, 0), Self.matchesAt(last, scalars, n - last.count) else {
            return (false, cost)
        }
        var position = first.count
        let limit = n - last.count
        if pieces.count > 2 {
            for piece in pieces[1..<(pieces.count - 1)] {
                let (found, work) = Self.find(piece, in: scalars, from: position, before: limit, budget: budget - cost)
                cost += work
                if cost > budget { return (false, cost) }
                guard let found else { return (false, cost) }
                position = found + piece.count
            }
        }
        return (position <= limit, cost)
    }

    private static func matchesAt(_ piece: [UInt32?], _ text: [UInt32], _ start: Int) -> Bool {
        guard start >= 0, start + piece.count <= text.count else { return false }
        for (offset, expected) in piece.enumerated() {
            if let expected, text[start + offset] != expected { return false }
        }
        return true
    }

    /// Leftmost occurrence of `piece` in `text[from..<before]`. Leftmost is always the
    /// right choice for a piece between two stars, so no backtracking is ever needed.
    private static func find(
        _ piece: [UInt32?], in text: [UInt32], from: Int, before: Int, budget: Int
    ) -> (Int?, Int) {
        let m = piece.count
        if m == 0 { return (from, 0) }
        if before - from < m { return (nil, 0) }
        if m <= 64 {
            // Shift-And: bit i of `state` is set when piece[0...i] matches ending at the current scalar.
            var wildcard: UInt64 = 0
            var masks: [UInt32: UInt64] = [:]
            for (i, element) in piece.enumerated() {
                if let element { masks[element, default: 0] |= 1 << UInt64(i) } else { wildcard |= 1 << UInt64(i) }
            }
            let accept: UInt64 = 1 << UInt64(m - 1)
            var state: UInt64 = 0
            for index in from..<before {
                state = ((state << 1) | 1) & ((masks[text[index]] ?? 0) | wildcard)
                if state & accept != 0 { return (index - m + 1, index - from + 1) }
            }
            return (nil, before - from)
        }
        // Very long pieces: direct comparison; the caller's cost accounting bounds this.
        var work = 0
        var start = from
        while start + m <= before {
            var ok = true
            if work > budget { return (nil, work) }
            for offset in 0..<m {
                work += 1
                if let expected = piece[offset], text[start + offset] != expected {
                    ok = false
                    break
                }
            }
            if ok { return (start, work) }
            start += 1
        }
        return (nil, work)
    }
}
