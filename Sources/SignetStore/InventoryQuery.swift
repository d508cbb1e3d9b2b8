import Foundation
import SignetCore

/// A filter over the inventory (`signet inventory list`, `GET /v1/inventory`).
public struct InventoryQuery: Sendable, Equatable {
    public var kind: InventoryItem.Kind?
    /// Exact owner; `InventoryQuery.unowned` selects items without one.
    public var owner: String?
    /// Effective status at `now` (an active item past its expiry counts as expired).
    public var status: InventoryItem.Status?
    /// Items still valid at `now` that expire at or before this instant, soonest first.
    public var expiringBefore: Date?
    public var managedBySignet: Bool?
    public var now: Date
    public var limit: Int
    /// Keyset pagination: items whose id sorts after this one (ignored with `expiringBefore`,
    /// which orders by expiry).
    public var after: String?

    /// The `owner` value that selects items nobody owns.
    public static let unowned = "-"

    public init(
        kind: InventoryItem.Kind? = nil, owner: String? = nil, status: InventoryItem.Status? = nil,
        expiringBefore: Date? = nil, managedBySignet: Bool? = nil, now: Date = Date(), limit: Int = 100,
        after: String? = nil
    ) {
        self.kind = kind
        self.owner = owner
        self.status = status
        self.expiringBefore = expiringBefore
        self.managedBySignet = managedBySignet
        self.now = now
        self.limit = limit
        self.after = after
    }
}

/// What one ingest did, for the caller and the `inventory.ingest` event.
public struct InventoryIngestSummary: Sendable, Equatable, Codable {
    public var received: Int
    public var created: Int
    public var updated: Int
    /// Items whose owner an ownership rule set or changed.
    public var ownersAssigned: Int

    public init(received: Int = 0, created: Int = 0, updated: Int = 0, ownersAssigned: Int = 0) {
        self.received = received
        self.created = created
        self.updated = updated
        self.ownersAssigned = ownersAssigned
    }

    enum CodingKeys: String, CodingKey {
        case received, created, updated
        case ownersAssigned = "owners_assigned"
    }
}

/// One change in an item's life that its current state does not show.
public struct InventoryHistoryEntry: Sendable, Equatable, Codable {
    public var at: Date
    /// `discovered`, `owner`, `status`.
    public var action: String
    public var detail: String
    public var actor: String

    public init(at: Date, action: String, detail: String, actor: String) {
        self.at = at
        self.action = action
        self.detail = detail
        self.actor = actor
    }
}

/// A filter over findings (`signet findings list`, `GET /v1/findings`).
public struct FindingQuery: Sendable, Equatable {
    /// At or above this severity.
    public var minimumSeverity: Finding.Severity?
    public var owner: String?
    public var rule: Finding.Rule?
    public var itemID: String?
    public var limit: Int

    public init(
        minimumSeverity: Finding.Severity? = nil, owner: String? = nil, rule: Finding.Rule? = nil,
        itemID: String? = nil, limit: Int = 1000
    ) {
        self.minimumSeverity = minimumSeverity
        self.owner = owner
        self.rule = rule
        self.itemID = itemID
        self.limit = limit
    }
}

/// A finding as stored: the finding plus when it was first raised and last recomputed.
public struct StoredFinding: Sendable, Equatable, Codable {
    public var finding: Finding
    public var firstDetected: Date
    public var computedAt: Date

    public init(finding: Finding, firstDetected: Date, computedAt: Date) {
        self.finding = finding
        self.firstDetected = firstDetected
        self.computedAt = computedAt
    }

    enum CodingKeys: String, CodingKey {
        case finding
        case firstDetected = "first_detected"
        case computedAt = "computed_at"
    }
}

/// What a findings recomputation found.
public struct FindingsRecomputation: Sendable, Equatable, Codable {
    public var itemsEvaluated: Int
    public var findings: Int
    /// Findings per severity name.
    public var bySeverity: [String: Int]
    public var computedAt: Date
    public var seconds: Double

    public init(itemsEvaluated: Int, findings: Int, bySeverity: [String: Int], computedAt: Date, seconds: Double) {
        self.itemsEvaluated = itemsEvaluated
        self.findings = findings
        self.bySeverity = bySeverity
        self.computedAt = computedAt
        self.seconds = seconds
    }

    enum CodingKeys: String, CodingKey {
        case itemsEvaluated = "items_evaluated"
        case findings
        case bySeverity = "by_severity"
        case computedAt = "computed_at"
        case seconds
    }
}

/// A page of `GET /v1/inventory`, as the server writes it and the CLI reads it.
public struct InventoryPage: Sendable, Codable {
    public let items: [InventoryItem]
    /// Pass as `after` for the next page (absent on the last page or for expiry-ordered queries).
    public let nextAfter: String?

    public init(items: [InventoryItem], nextAfter: String?) {
        self.items = items
        self.nextAfter = nextAfter
    }

    enum CodingKeys: String, CodingKey {
        case items
        case nextAfter = "next_after"
    }
}

/// `GET /v1/inventory/{id}`: the item with its owner/status history and its findings.
public struct InventoryItemDetail: Sendable, Codable {
    public let item: InventoryItem
    public let history: [InventoryHistoryEntry]
    public let findings: [StoredFinding]

    public init(item: InventoryItem, history: [InventoryHistoryEntry], findings: [StoredFinding]) {
        self.item = item
        self.history = history
        self.findings = findings
    }
}

/// `GET /v1/findings`: findings and when they were computed.
public struct FindingPage: Sendable, Codable {
    public let findings: [StoredFinding]
    public let computedAt: Date?

    public init(findings: [StoredFinding], computedAt: Date?) {
        self.findings = findings
        self.computedAt = computedAt
    }

    enum CodingKeys: String, CodingKey {
        case findings
        case computedAt = "computed_at"
    }
}
