import Foundation
import GRDB
import SignetCore

// The machine-identity inventory: ingest (merge by id), reads, queries, owner
// and status changes with their history.

extension SQLiteStore {
    /// Values per `IN (...)` lookup (well under SQLite's bound-parameter limit).
    static let lookupChunk = 500

    /// Runs `body` for each chunk of `values` with the matching `?,?,...` placeholder list.
    static func inChunks<Value: DatabaseValueConvertible>(
        _ values: [Value], _ body: (_ chunk: [Value], _ marks: String) throws -> Void
    ) rethrows {
        var start = 0
        while start < values.count {
            let chunk = Array(values[start..<min(start + lookupChunk, values.count)])
            start += lookupChunk
            try body(chunk, Array(repeating: "?", count: chunk.count).joined(separator: ","))
        }
    }

    /// The SQL condition for an owner filter: `InventoryQuery.unowned` selects rows without one.
    static func ownerCondition(_ owner: String, column: String, into arguments: inout StatementArguments) -> String {
        if owner == InventoryQuery.unowned { return "\(column) IS NULL" }
        arguments += [owner]
        return "\(column) = ?"
    }

    public func ingestInventory(
        _ items: [InventoryItem], actor: String, event: @escaping @Sendable (InventoryIngestSummary) -> AuditEvent
    ) async throws -> InventoryIngestSummary {
        // Sightings of one credential inside the batch become one item first.
        var merged: [String: Int] = [:]
        var batch: [InventoryItem] = []
        batch.reserveCapacity(items.count)
        for item in items {
            if let index = merged[item.id] {
                batch[index].merge(item)
            } else {
                merged[item.id] = batch.count
                batch.append(item)
            }
        }
        let now = StoredDate.encode(Date())
        return try await writer.write { [batch] db in
            var summary = InventoryIngestSummary(received: items.count)
            let insert = try db.cachedStatement(sql: InventoryColumns.insert)
            let upsert = try db.cachedStatement(sql: InventoryColumns.upsert)
            let locationUpsert = try db.cachedStatement(sql: InventoryColumns.locationUpsert)
            for item in batch {
                let seq: Int64
                // Most sightings of a large upload are new: insert first, merge only on a taken id.
                var binding = RawBinding(insert)
                item.bindColumns(&binding, owner: item.owner, ownerSource: item.ownerSource, status: item.status)
                do {
                    try binding.execute(db)
                    seq = db.lastInsertedRowID
                    summary.created += 1
                    if item.ownerSource?.hasPrefix("rule:") == true { summary.ownersAssigned += 1 }
                } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
                    guard let before = try Self.ownerAndStatus(db, ids: [item.id])[item.id] else { throw error }
                    seq = before.seq
                    try Self.merge(db, item, into: before, statement: upsert, at: now, actor: actor, summary: &summary)
                }
                for location in item.locations {
                    var binding = RawBinding(locationUpsert)
                    location.bindLocation(&binding, itemSeq: seq)
                    try binding.execute(db)
                }
            }
            try Self.markFindingsStale(db)
            try EncodedEvent(event(summary)).insert(db)
            return summary
        }
    }

    /// Merges a sighting into the row `before` describes: owner and status decided here (and
    /// their changes recorded as history), every other fact by ``InventoryColumns/upsert``.
    static func merge(
        _ db: Database, _ item: InventoryItem, into before: OwnerAndStatus, statement: Statement, at now: Int64,
        actor: String, summary: inout InventoryIngestSummary
    ) throws {
        let owner = InventoryOwnership.decide(
            existing: (before.owner, before.ownerSource), incoming: (item.owner, item.ownerSource))
        let status = item.status != .active ? item.status : before.status
        var binding = RawBinding(statement)
        item.bindColumns(&binding, owner: owner.owner, ownerSource: owner.source, status: status)
        try binding.execute(db)
        summary.updated += 1
        if owner.owner != before.owner {
            if owner.source?.hasPrefix("rule:") == true { summary.ownersAssigned += 1 }
            try appendHistory(
                db, item: item.id, at: now, action: "owner",
                detail: "\(before.owner ?? "(none)") -> \(owner.owner ?? "(none)") (\(owner.source ?? "?"))", actor: actor)
        }
        if status != before.status {
            try appendHistory(
                db, item: item.id, at: now, action: "status", detail: "\(before.status.rawValue) -> \(status.rawValue)",
                actor: actor)
        }
    }

    public func inventoryItem(id: String) async throws -> InventoryItem? {
        try await writer.read { db in
            try Self.items(db, sql: "SELECT \(InventoryColumns.withSeq) FROM inventory_items WHERE id = ?", [id]).first
        }
    }

    public func listInventory(_ query: InventoryQuery) async throws -> [InventoryItem] {
        var conditions: [String] = []
        var arguments = StatementArguments()
        let now = StoredDate.encode(query.now)
        if let kind = query.kind {
            conditions.append("kind = ?")
            arguments += [kind.rawValue]
        }
        if let owner = query.owner { conditions.append(Self.ownerCondition(owner, column: "owner", into: &arguments)) }
        if let managed = query.managedBySignet {
            conditions.append("managed = ?")
            arguments += [managed]
        }
        switch query.status {
        case .none: break
        case .active?:
            conditions.append("status = 'active' AND (expires_at IS NULL OR expires_at > ?)")
            arguments += [now]
        case .expired?:
            conditions.append("(status = 'expired' OR (status = 'active' AND expires_at <= ?))")
            arguments += [now]
        case let other?:
            conditions.append("status = ?")
            arguments += [other.rawValue]
        }
        let order: String
        if let before = query.expiringBefore {
            conditions.append("expires_at > ? AND expires_at <= ?")
            arguments += [now, StoredDate.encode(before)]
            order = "expires_at, id"
        } else {
            if let after = query.after {
                conditions.append("id > ?")
                arguments += [after]
            }
            order = "id"
        }
        let filter = conditions.isEmpty ? "1" : conditions.joined(separator: " AND ")
        arguments += [max(0, min(query.limit, 100_000))]
        return try await writer.read { [arguments] db in
            try Self.items(
                db, sql: "SELECT \(InventoryColumns.withSeq) FROM inventory_items WHERE \(filter) ORDER BY \(order) LIMIT ?",
                arguments)
        }
    }

    public func countInventory() async throws -> Int {
        try await writer.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM inventory_items") ?? 0 }
    }

    public func inventoryHistory(id: String) async throws -> [InventoryHistoryEntry] {
        try await writer.read { db in
            try Row.fetchAll(
                db, sql: "SELECT at, action, detail, actor FROM inventory_history WHERE item_id = ? ORDER BY at, rowid",
                arguments: [id]
            ).map { row in
                InventoryHistoryEntry(
                    at: StoredDate.decode(row[0] ?? 0), action: row[1] ?? "", detail: row[2] ?? "", actor: row[3] ?? "")
            }
        }
    }

    public func assignInventoryOwner(itemID: String, owner: String?, actor: String, event: AuditEvent) async throws
        -> InventoryItem
    {
        let event = try EncodedEvent(event)
        let now = StoredDate.encode(Date())
        return try await writer.write { db in
            guard let before = try Self.ownerAndStatus(db, ids: [itemID])[itemID] else {
                throw StoreError.notFound("inventory item '\(itemID)'")
            }
            // Clearing the owner hands the item back to ownership rules on the next ingest.
            try db.execute(
                sql: "UPDATE inventory_items SET owner = ?, owner_source = ? WHERE id = ?",
                arguments: [owner, owner == nil ? nil : "manual", itemID])
            try Self.appendHistory(
                db, item: itemID, at: now, action: "owner",
                detail: "\(before.owner ?? "(none)") -> \(owner ?? "(none)") (manual)", actor: actor)
            try Self.markFindingsStale(db)
            try event.insert(db)
            return try Self.items(db, sql: "SELECT \(InventoryColumns.withSeq) FROM inventory_items WHERE id = ?", [itemID])[0]
        }
    }

    public func setInventoryStatus(itemID: String, status: InventoryItem.Status, actor: String, event: AuditEvent)
        async throws -> InventoryItem
    {
        let event = try EncodedEvent(event)
        let now = StoredDate.encode(Date())
        return try await writer.write { db in
            guard let before = try Self.ownerAndStatus(db, ids: [itemID])[itemID] else {
                throw StoreError.notFound("inventory item '\(itemID)'")
            }
            try db.execute(sql: "UPDATE inventory_items SET status = ? WHERE id = ?", arguments: [status.rawValue, itemID])
            try Self.appendHistory(
                db, item: itemID, at: now, action: "status", detail: "\(before.status.rawValue) -> \(status.rawValue)",
                actor: actor)
            try Self.markFindingsStale(db)
            try event.insert(db)
            return try Self.items(db, sql: "SELECT \(InventoryColumns.withSeq) FROM inventory_items WHERE id = ?", [itemID])[0]
        }
    }

    // MARK: Helpers

    struct OwnerAndStatus {
        var seq: Int64
        var owner: String?
        var ownerSource: String?
        var status: InventoryItem.Status
    }

    static func ownerAndStatus(_ db: Database, ids: [String]) throws -> [String: OwnerAndStatus] {
        var result: [String: OwnerAndStatus] = [:]
        try inChunks(ids) { chunk, marks in
            let rows = try Row.fetchCursor(
                db, sql: "SELECT id, owner, owner_source, status, seq FROM inventory_items WHERE id IN (\(marks))",
                arguments: StatementArguments(chunk))
            while let row = try rows.next() {
                let id: String = row[0]
                let statusText: String = row[3]
                guard let status = InventoryItem.Status(rawValue: statusText) else {
                    throw StoreError.corrupt("inventory item '\(id)': unknown status '\(statusText)'")
                }
                result[id] = OwnerAndStatus(seq: row[4], owner: row[1], ownerSource: row[2], status: status)
            }
        }
        return result
    }

    /// Items for `sql` (selecting ``InventoryColumns/withSeq``), each with all its locations.
    static func items(_ db: Database, sql: String, _ arguments: StatementArguments) throws -> [InventoryItem] {
        var items: [InventoryItem] = []
        var index: [Int64: Int] = [:]
        for row in try Row.fetchAll(db, sql: sql, arguments: arguments) {
            index[row[0]] = items.count
            items.append(try InventoryItem(inventoryRow: row, offset: 1))
        }
        try inChunks(Array(index.keys)) { chunk, marks in
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT item_seq, \(InventoryItem.Location.columns) FROM inventory_locations
                    WHERE item_seq IN (\(marks)) ORDER BY item_seq, type, target, line, commit_id
                    """,
                arguments: StatementArguments(chunk))
            while let row = try rows.next() {
                if let position = index[row[0]] { items[position].locations.append(.init(locationRow: row, offset: 1)) }
            }
        }
        return items
    }

    static func appendHistory(_ db: Database, item: String, at: Int64, action: String, detail: String, actor: String)
        throws
    {
        try db.cachedStatement(
            sql: "INSERT INTO inventory_history (item_id, at, action, detail, actor) VALUES (?, ?, ?, ?, ?)"
        ).execute(arguments: [item, at, action, detail, actor])
    }
}

/// Whose claim to an item's owner wins when a sighting names one.
///
/// An owner set by hand (`inventory assign`) is never replaced by ingest. Otherwise a sighting
/// that names an owner replaces the current one unless it ranks lower: the source itself (an
/// importer reading a label, Signet's own entry) outranks an ownership rule.
enum InventoryOwnership {
    static func rank(_ source: String?) -> Int { InventoryItem.ownerRank(source) }

    static func decide(existing: (owner: String?, source: String?)?, incoming: (owner: String?, source: String?))
        -> (owner: String?, source: String?)
    {
        guard let existing, existing.owner != nil else { return incoming }
        if existing.source == "manual" { return existing }
        if incoming.owner != nil, rank(incoming.source) >= rank(existing.source) { return incoming }
        return existing
    }
}
