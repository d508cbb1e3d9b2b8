import Foundation

/// Assigns owners to inventory items from a set of ``OwnershipRule``s.
///
/// Built once per ingest or recomputation and then run on every ingested item, so it must cost
/// well under a microsecond or two per item (about half a microsecond for twenty rules, measured
/// in a release build): rules are sorted and their globs compiled up front, each attribute a rule
/// reads is looked up once per item, and patterns without `?` (`/srv/payments/*`,
/// `*.example.com:443`, `*acme/payments-*`, an exact name) are matched on the text's bytes in
/// place, without allocating. Patterns with `?` are checked against their literal prefix and
/// suffix first, so ``GlobPattern`` (which copies the text) only runs on plausible candidates.
public struct OwnershipResolver: Sendable {
    /// The rules, sorted by priority then id.
    public let rules: [OwnershipRule]
    private let compiled: [CompiledRule]
    /// Bit set of the fields the rules read (see ``AttributeValues/bit(_:)``).
    private let usedFields: UInt8

    public init(rules: [OwnershipRule]) {
        let sorted = rules.sorted { ($0.priority, $0.id) < ($1.priority, $1.id) }
        self.rules = sorted
        self.compiled = sorted.map(CompiledRule.init)
        self.usedFields = sorted.reduce(0) { $0 | AttributeValues.bit($1.field) }
    }

    /// The first rule, in priority order, that matches any of the item's values for its field.
    public func match(_ item: InventoryItem) -> OwnershipRule? {
        firstMatch(item).map { rules[$0] }
    }

    /// Sets the item's owner from the first matching rule, with `ownerSource` `rule:<id>`, and
    /// returns whether the item changed.
    ///
    /// Only items without an owner, or whose owner came from a rule, are touched: an owner set by
    /// hand (`manual`), by the scanner or importer (`source`) or by Signet (`signet`) is never
    /// overridden. Rule-derived ownership follows the current rules, so an item whose rule no
    /// longer matches (the rule was deleted or narrowed) loses that owner, and then shows up as
    /// unowned instead of pointing at a rule that no longer exists.
    @discardableResult
    public func apply(to item: inout InventoryItem) -> Bool {
        let ruleOwned = item.ownerSource.map { $0.utf8.starts(with: Self.rulePrefix) } ?? false
        let hasOwner = !(item.owner?.isEmpty ?? true)
        guard !hasOwner || ruleOwned else { return false }
        if let index = firstMatch(item) {
            let rule = compiled[index]
            if item.owner == rule.team, item.ownerSource == rule.ownerSource { return false }
            item.owner = rule.team
            item.ownerSource = rule.ownerSource
            return true
        }
        guard ruleOwned else { return false }
        item.owner = nil
        item.ownerSource = nil
        return true
    }

    private static let rulePrefix = Array(OwnershipRule.ownerSourcePrefix.utf8)

    private func firstMatch(_ item: InventoryItem) -> Int? {
        let attributes = AttributeValues(item.attributes, fields: usedFields)
        for index in compiled.indices
        where Self.anyValue(of: compiled[index].field, in: item, attributes, matches: compiled[index].matcher) {
            return index
        }
        return nil
    }

    /// The attributes the rules read, looked up once per item rather than once per rule.
    private struct AttributeValues {
        var repository: String?
        var namespace: String?
        var spiffeID: String?
        var account: String?
        var arn: String?

        init(_ attributes: [String: String], fields: UInt8) {
            guard !attributes.isEmpty else { return }
            if fields & Self.bit(.repository) != 0 { repository = attributes["repository"] }
            if fields & Self.bit(.namespace) != 0 { namespace = attributes["namespace"] }
            if fields & Self.bit(.spiffeID) != 0 { spiffeID = attributes["spiffe_id"] }
            if fields & Self.bit(.account) != 0 {
                account = attributes["account"]
                arn = attributes["arn"]
            }
        }

        static func bit(_ field: OwnershipRule.Field) -> UInt8 {
            switch field {
            case .path: 1
            case .repository: 2
            case .namespace: 4
            case .spiffeID: 8
            case .account: 16
            case .host: 32
            case .detector: 64
            }
        }
    }

    /// True when one of the item's values for `field` matches. Values are visited in place, by
    /// index, so that no value or location is copied.
    private static func anyValue(
        of field: OwnershipRule.Field, in item: InventoryItem, _ attributes: AttributeValues,
        matches matcher: GlobMatcher
    ) -> Bool {
        switch field {
        case .path:
            return anyLocation(item.locations, type: "file", matcher)
        case .repository:
            return anyLocation(item.locations, type: "git", matcher) || matcher.matches(present: attributes.repository)
        case .namespace:
            return matcher.matches(present: attributes.namespace)
        case .spiffeID:
            if matcher.matches(present: attributes.spiffeID) { return true }
            guard let certificate = item.certificate else { return false }
            for index in certificate.sans.indices {
                let san = certificate.sans[index].utf8
                let value = san.starts(with: uriPrefix) ? san.dropFirst(uriPrefix.count) : san[...]
                if value.starts(with: spiffeScheme), matcher.matches(Substring(value)) { return true }
            }
            return false
        case .account:
            return anyLocation(item.locations, type: "account", matcher) || matcher.matches(present: attributes.account)
                || matcher.matches(present: attributes.arn)
        case .host:
            return anyLocation(item.locations, type: "tls", matcher)
        case .detector:
            return matcher.matches(present: item.detector)
        }
    }

    private static func anyLocation(_ locations: [InventoryItem.Location], type: String, _ matcher: GlobMatcher)
        -> Bool
    {
        for index in locations.indices where locations[index].type == type {
            if matcher.matches(locations[index].target) { return true }
        }
        return false
    }

    /// `URI:` is how the scanners label URI SANs (`URI:spiffe://example.org/api`).
    private static let uriPrefix = Array("URI:".utf8)
    private static let spiffeScheme = Array("spiffe://".utf8)
}

/// A rule ready to run: its glob compiled and its `ownerSource` string built once.
private struct CompiledRule: Sendable {
    let field: OwnershipRule.Field
    let matcher: GlobMatcher
    let team: String
    let ownerSource: String

    init(_ rule: OwnershipRule) {
        field = rule.field
        matcher = GlobMatcher(rule.pattern)
        team = rule.team
        ownerSource = rule.ownerSource
    }
}

/// A ``GlobPattern`` compiled for matching UTF-8 bytes in place.
///
/// Patterns without `?` (nearly all ownership patterns) are matched on bytes, which is exact:
/// their literal pieces are whole UTF-8 sequences, and UTF-8 is self-synchronising, so a byte match
/// is a scalar match. Each piece between stars is found at its leftmost position, as
/// ``GlobPattern`` does (leftmost is always right for a piece between two stars), with the same
/// bit-parallel Shift-And search, here over a 256-entry table built once, so matching allocates
/// nothing and is linear in the text for pieces of up to 64 bytes (longer ones, which only a
/// long pattern can have, are compared directly). Patterns with `?` are screened by their
/// literal prefix and suffix, then handed to ``GlobPattern``.
///
/// A class, so that trying a rule passes one reference instead of copying four arrays.
private final class GlobMatcher: Sendable {
    enum Shape: Sendable {
        /// Only `*`s: everything matches.
        case any
        /// No wildcard: byte-for-byte equality.
        case literal
        /// `prefix*piece*piece*suffix` without `?`: ``middle`` in order.
        case pieces
        /// Patterns with `?`: prefix and suffix are necessary conditions, then ``glob``.
        case general
    }

    let shape: Shape
    /// Literal bytes before the first wildcard (the whole pattern when literal).
    let prefix: [UInt8]
    /// Literal bytes after the last wildcard.
    let suffix: [UInt8]
    /// The pieces between stars, for ``Shape/pieces``.
    let middle: [BytePiece]
    /// The full matcher, for ``Shape/general``.
    let glob: GlobPattern?
    /// Fewest bytes a matching text can have (a lower bound for patterns with `?`).
    let minimumLength: Int

    init(_ pattern: String) {
        let scalars = Array(pattern.unicodeScalars)
        let isWildcard: (Unicode.Scalar) -> Bool = { $0 == "*" || $0 == "?" }
        let head = scalars.prefix { !isWildcard($0) }
        let tail = scalars.reversed().prefix { !isWildcard($0) }.reversed()
        prefix = Array(String(String.UnicodeScalarView(head)).utf8)
        suffix = Array(String(String.UnicodeScalarView(tail)).utf8)
        if head.count == scalars.count {
            shape = .literal
            middle = []
            glob = nil
            minimumLength = prefix.count
        } else if scalars.contains("?") {
            shape = .general
            middle = []
            glob = GlobPattern(pattern)
            minimumLength = prefix.count + suffix.count
        } else {
            // Split on runs of `*`; the first and last pieces are the prefix and suffix.
            let pieces = pattern.split(separator: "*", omittingEmptySubsequences: false).map { Array($0.utf8) }
            middle = pieces.dropFirst().dropLast().filter { !$0.isEmpty }.map(BytePiece.init)
            shape = middle.isEmpty && prefix.isEmpty && suffix.isEmpty ? .any : .pieces
            glob = nil
            minimumLength = prefix.count + suffix.count + middle.reduce(0) { $0 + $1.bytes.count }
        }
    }

    /// False for a missing value.
    func matches(present text: String?) -> Bool {
        guard let text else { return false }
        return matches(text)
    }

    func matches<Text: StringProtocol>(_ text: Text) -> Bool {
        if shape == .any { return true }
        let utf8 = text.utf8
        guard utf8.count >= minimumLength else { return false }
        let bytesMatch = utf8.withContiguousStorageIfAvailable(matches) ?? Array(utf8).withUnsafeBufferPointer(matches)
        guard bytesMatch else { return false }
        guard let glob else { return true }
        return glob.matches(String(text))
    }

    /// The byte-level decision; for ``Shape/general`` only the necessary prefix and suffix test.
    private func matches(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = bytes.count
        guard Self.equal(bytes, from: 0, prefix), Self.equal(bytes, from: n - suffix.count, suffix) else {
            return false
        }
        switch shape {
        case .any, .general:
            return true
        case .literal:
            return n == prefix.count
        case .pieces:
            var position = prefix.count
            let limit = n - suffix.count
            for index in middle.indices {
                guard let found = middle[index].firstOccurrence(in: bytes, from: position, before: limit) else {
                    return false
                }
                position = found + middle[index].bytes.count
            }
            return position <= limit
        }
    }

    private static func equal(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, _ expected: [UInt8]) -> Bool {
        guard start >= 0, start + expected.count <= bytes.count else { return false }
        for (offset, byte) in expected.enumerated() where bytes[start + offset] != byte { return false }
        return true
    }
}

/// A literal piece of a glob, with its Shift-And table (one bit per position of the piece, per byte value).
private struct BytePiece: Sendable {
    let bytes: [UInt8]
    /// 256 masks when the piece has at most 64 bytes; empty for longer pieces (searched directly).
    let masks: [UInt64]

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        guard bytes.count <= 64 else {
            masks = []
            return
        }
        var masks = [UInt64](repeating: 0, count: 256)
        for (index, byte) in bytes.enumerated() { masks[Int(byte)] |= 1 << UInt64(index) }
        self.masks = masks
    }

    /// Leftmost start of the piece within `text[from..<before]`.
    func firstOccurrence(in text: UnsafeBufferPointer<UInt8>, from: Int, before: Int) -> Int? {
        let m = bytes.count
        guard before - from >= m else { return nil }
        if masks.isEmpty {
            // Pieces longer than 64 bytes (patterns are at most 512): direct comparison.
            var start = from
            while start + m <= before {
                var offset = 0
                while offset < m, text[start + offset] == bytes[offset] { offset += 1 }
                if offset == m { return start }
                start += 1
            }
            return nil
        }
        let accept: UInt64 = 1 << UInt64(m - 1)
        var state: UInt64 = 0
        for index in from..<before {
            state = ((state << 1) | 1) & masks[Int(text[index])]
            if state & accept != 0 { return index - m + 1 }
        }
        return nil
    }
}
