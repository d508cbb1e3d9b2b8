import Foundation

/// A posture problem with one inventory item: what is wrong, the evidence, and how to fix it.
///
/// Findings are derived data: the findings engine recomputes them from the inventory, the
/// policy and the clock, so a finding's ``id`` (rule + item) is stable across recomputations
/// and a fixed problem simply stops being reported.
public struct Finding: Hashable, Sendable, Codable {
    public enum Severity: String, Hashable, Sendable, Codable, CaseIterable, Comparable {
        case info, low, medium, high, critical

        /// Position in increasing order of gravity (info = 0 ... critical = 4).
        public var rank: Int {
            switch self {
            case .info: 0
            case .low: 1
            case .medium: 2
            case .high: 3
            case .critical: 4
            }
        }
        /// Weight in an item's risk score: each step is worth several of the one below.
        public var weight: Int {
            switch self {
            case .info: 0
            case .low: 1
            case .medium: 5
            case .high: 20
            case .critical: 50
            }
        }

        public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }
    }

    /// The rule that produced the finding; stable names used by `--rule` filters and SARIF rule ids.
    public enum Rule: String, Hashable, Sendable, Codable, CaseIterable {
        case expired
        case expiringSoon = "expiring-soon"
        case validityAbovePolicy = "validity-above-policy"
        case notRotated = "not-rotated"
        case hardCodedSecret = "hard-coded-secret"
        case worldReadableKey = "world-readable-key"
        case weakKey = "weak-key"
        case weakSignature = "weak-signature"
        case selfSignedInProduction = "self-signed-in-production"
        case noOwner = "no-owner"
        case unknownOwner = "unknown-owner"
        case unused
        case shared
        case overPrivileged = "over-privileged"
    }

    /// `<rule>/<item id>`: one finding per rule and item.
    public var id: String
    public var rule: Rule
    public var severity: Severity
    public var itemID: String
    /// The item's owner when the finding was computed (nil when it has none).
    public var owner: String?
    public var title: String
    /// The facts that triggered the rule, in words ("expired 2026-10-01, 53 days ago").
    public var evidence: String
    /// What to do about it.
    public var fix: String
    /// The first location of the item, for code-scanning output (file path, `host:port`, ...).
    public var location: InventoryItem.Location?

    public init(
        rule: Rule, severity: Severity, itemID: String, owner: String?, title: String, evidence: String, fix: String,
        location: InventoryItem.Location? = nil
    ) {
        self.id = Self.id(rule: rule, itemID: itemID)
        self.rule = rule
        self.severity = severity
        self.itemID = itemID
        self.owner = owner
        self.title = title
        self.evidence = evidence
        self.fix = fix
        self.location = location
    }

    public static func id(rule: Rule, itemID: String) -> String { rule.rawValue + "/" + itemID }

    enum CodingKeys: String, CodingKey {
        case id, rule, severity
        case itemID = "item_id"
        case owner, title, evidence, fix, location
    }
}
