/// First-bytes dispatch for anchor rules.
///
/// Every byte position is classified with one 16-bit load and one table lookup: the table maps
/// the pair (byte, next byte) to a group of rules whose anchors start with that pair (or with that
/// single byte, for one-byte anchors such as `=`). 64 Ki entries of `UInt16` is 128 KiB, mostly
/// zero, and the hot pairs stay in cache. This replaces running ~80 regular expressions per line.
struct DispatchTable: Sendable {
    /// Indexed by `first | second << 8` (the little-endian 16-bit load of the two bytes).
    let table: [UInt16]
    /// All rules, flattened; a group is a range of `members`, which index into `rules`.
    /// Flat arrays let the hot loop borrow rules through unsafe buffers instead of retaining a
    /// nested array (and each closure context) on every anchor hit.
    let rules: [AnchorRule]
    /// Rule indices, group after group; each group is ordered longest anchor first so specific rules win.
    let members: [Int32]
    /// `groupBounds[g]..<groupBounds[g + 1]` is group `g` in `members`; group 0 is empty.
    let groupBounds: [Int32]

    init(rules: [AnchorRule]) {
        var perPair = [[Int]](repeating: [], count: 65536)
        for (index, rule) in rules.enumerated() {
            guard let first = rule.anchor.first else { continue }
            if rule.anchor.count >= 2 {
                perPair[Int(first) | Int(rule.anchor[1]) << 8].append(index)
            } else {
                for second in 0..<256 { perPair[Int(first) | second << 8].append(index) }
            }
        }
        var groupIndex: [[Int]: UInt16] = [[]: 0]
        var members: [Int32] = []
        var groupBounds: [Int32] = [0, 0]
        var table = [UInt16](repeating: 0, count: 65536)
        for pair in 0..<65536 where !perPair[pair].isEmpty {
            let group = perPair[pair].sorted { lhs, rhs in
                rules[lhs].anchor.count != rules[rhs].anchor.count
                    ? rules[lhs].anchor.count > rules[rhs].anchor.count : lhs < rhs
            }
            if let existing = groupIndex[group] {
                table[pair] = existing
            } else {
                precondition(groupBounds.count < Int(UInt16.max), "too many anchor groups")
                let id = UInt16(groupBounds.count - 1)
                groupIndex[group] = id
                members += group.map { Int32($0) }
                groupBounds.append(Int32(members.count))
                table[pair] = id
            }
        }
        self.table = table
        self.rules = rules
        self.members = members
        self.groupBounds = groupBounds
    }
}
