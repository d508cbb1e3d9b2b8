import Foundation
import GRDB
import SignetCore

// Findings: derived from the inventory by a recomputation that reads the items in
// chunks (each chunk in its own short read, its findings in their own short write),
// so a recomputation over a million items never holds the write lock for long and
// issuance keeps flowing while it runs.

extension SQLiteStore {
    /// Items evaluated per read/write round of a recomputation.
    static let recomputeChunk = 5_000

    public func recomputeFindings(
        now: Date, evaluate: @escaping @Sendable (InventoryItem) -> [Finding],
        event: @escaping @Sendable (FindingsRecomputation) -> AuditEvent
    ) async throws -> FindingsRecomputation {
        let started = ContinuousClock.now
        let (stamp, generation, knownTexts) = try await writer.write { db -> (Int64, String, [String: Int64]) in
            let previous = Int64(try Self.metaValue(db, "findings_computed_at") ?? "") ?? 0
            var texts: [String: Int64] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, text FROM finding_texts") { texts[row[1]] = row[0] }
            return (
                max(StoredDate.encode(now), previous + 1), try Self.metaValue(db, "inventory_generation") ?? "0", texts
            )
        }
        var texts = knownTexts
        var evaluated = 0
        var total = 0
        var bySeverity: [String: Int] = [:]
        // The next chunk is read (on a reader connection) while this one is evaluated and written.
        var next = Task { [writer] in try await writer.read { db in try Self.itemChunk(db, after: 0) } }
        defer { next.cancel() }
        while true {
            let chunk = try await next.value
            guard let last = chunk.last else { break }
            next = Task { [writer] in try await writer.read { db in try Self.itemChunk(db, after: last.seq) } }
            evaluated += chunk.count
            var findings: [(seq: Int64, finding: Finding)] = []
            for (seq, item) in chunk {
                for finding in evaluate(item) { findings.append((seq, finding)) }
            }
            total += findings.count
            for entry in findings { bySeverity[entry.finding.severity.rawValue, default: 0] += 1 }
            texts = try await writer.write { [texts, findings] db in
                try Self.upsertFindings(db, findings, stamp: stamp, texts: texts)
            }
        }
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        let result = FindingsRecomputation(
            itemsEvaluated: evaluated, findings: total, bySeverity: bySeverity, computedAt: StoredDate.decode(stamp),
            seconds: seconds)
        try await writer.write { db in
            try db.execute(sql: "DELETE FROM findings WHERE computed_at <> ?", arguments: [stamp])
            try Self.setMetaValue(db, "findings_computed_at", String(stamp))
            try Self.setMetaValue(db, "findings_generation", generation)
            try EncodedEvent(event(result)).insert(db)
        }
        return result
    }

    /// When findings were last computed, and whether the inventory changed since.
    public func findingsFreshness() async throws -> (computedAt: Date?, stale: Bool) {
        try await writer.read { db in
            let computed = Int64(try Self.metaValue(db, "findings_computed_at") ?? "")
            let generation = try Self.metaValue(db, "inventory_generation") ?? "0"
            let findingsGeneration = try Self.metaValue(db, "findings_generation")
            return (computed.map(StoredDate.decode), computed == nil || findingsGeneration != generation)
        }
    }

    public func listFindings(_ query: FindingQuery) async throws -> [StoredFinding] {
        var conditions: [String] = []
        var arguments = StatementArguments()
        if let minimum = query.minimumSeverity {
            conditions.append("f.severity >= ?")
            arguments += [minimum.rank]
        }
        if let owner = query.owner { conditions.append(Self.ownerCondition(owner, column: "f.owner", into: &arguments)) }
        if let rule = query.rule {
            conditions.append("f.rule = ?")
            arguments += [rule.rawValue]
        }
        if let item = query.itemID {
            conditions.append("i.id = ?")
            arguments += [item]
        }
        let filter = conditions.isEmpty ? "1" : conditions.joined(separator: " AND ")
        arguments += [max(0, min(query.limit, 1_000_000))]
        return try await writer.read { [arguments] db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT f.item_seq, i.id, f.rule, f.severity, f.owner, t.text, f.evidence, x.text,
                        f.first_detected, f.computed_at
                    FROM findings f JOIN inventory_items i ON i.seq = f.item_seq
                    JOIN finding_texts t ON t.id = f.title JOIN finding_texts x ON x.id = f.fix
                    WHERE \(filter) ORDER BY f.severity DESC, i.id, f.rule LIMIT ?
                    """,
                arguments: arguments)
            let locations = try Self.firstLocations(db, seqs: Array(Set(rows.map { $0[0] as Int64 })))
            return try rows.map { try Self.storedFinding($0, location: locations[$0[0]]) }
        }
    }

    /// Sum of the severity weights of each item's findings (its risk score), for the given items.
    public func riskScores(itemIDs: [String]) async throws -> [String: Int] {
        guard !itemIDs.isEmpty else { return [:] }
        return try await writer.read { db in
            var scores: [String: Int] = [:]
            try Self.inChunks(itemIDs) { chunk, marks in
                for row in try Row.fetchAll(
                    db,
                    sql: """
                        SELECT i.id, sum(f.weight) FROM inventory_items i JOIN findings f ON f.item_seq = i.seq
                        WHERE i.id IN (\(marks)) GROUP BY i.id
                        """,
                    arguments: StatementArguments(chunk))
                {
                    scores[row[0]] = row[1]
                }
            }
            return scores
        }
    }

    // MARK: Helpers

    /// Up to ``recomputeChunk`` items after sequence `after`, in sequence order, with their locations.
    static func itemChunk(_ db: Database, after: Int64) throws -> [(seq: Int64, item: InventoryItem)] {
        var items: [(seq: Int64, item: InventoryItem)] = []
        let rows = try Row.fetchCursor(
            db,
            sql: "SELECT \(InventoryColumns.withSeq) FROM inventory_items WHERE seq > ? ORDER BY seq LIMIT ?",
            arguments: [after, recomputeChunk])
        while let row = try rows.next() { items.append((row[0], try InventoryItem(inventoryRow: row, offset: 1))) }
        guard let first = items.first, let last = items.last else { return [] }
        // Locations are keyed by item sequence first: the chunk's are one range scan in the same order.
        let locations = try Row.fetchCursor(
            db,
            sql: """
                SELECT item_seq, \(InventoryItem.Location.columns) FROM inventory_locations
                WHERE item_seq >= ? AND item_seq <= ?
                """,
            arguments: [first.seq, last.seq])
        var position = 0
        while let row = try locations.next() {
            let seq: Int64 = row[0]
            while position < items.count, items[position].seq < seq { position += 1 }
            guard position < items.count, items[position].seq == seq else { continue }
            items[position].item.locations.append(.init(locationRow: row, offset: 1))
        }
        return items
    }

    /// Upserts one chunk's findings, interning titles and fixes; returns the text ids known after it.
    static func upsertFindings(
        _ db: Database, _ findings: [(seq: Int64, finding: Finding)], stamp: Int64, texts: [String: Int64]
    ) throws -> [String: Int64] {
        var texts = texts
        let insertText = try db.cachedStatement(sql: "INSERT INTO finding_texts (text) VALUES (?)")
        func textID(_ text: String) throws -> Int64 {
            if let id = texts[text] { return id }
            if let id = try Int64.fetchOne(db, sql: "SELECT id FROM finding_texts WHERE text = ?", arguments: [text]) {
                texts[text] = id
                return id
            }
            try insertText.execute(arguments: [text])
            texts[text] = db.lastInsertedRowID
            return db.lastInsertedRowID
        }
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO findings (item_seq, rule, severity, weight, owner, title, evidence, fix, first_detected,
                    computed_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(item_seq, rule) DO UPDATE SET severity = excluded.severity, weight = excluded.weight,
                    owner = excluded.owner, title = excluded.title, evidence = excluded.evidence, fix = excluded.fix,
                    computed_at = excluded.computed_at
                """)
        for (seq, finding) in findings {
            statement.setUncheckedArguments([
                seq, finding.rule.rawValue, finding.severity.rank, finding.severity.weight, finding.owner,
                try textID(finding.title), finding.evidence, try textID(finding.fix), stamp, stamp,
            ])
            try statement.execute()
        }
        return texts
    }

    /// The first location (in key order) of each item, as the engine saw it.
    static func firstLocations(_ db: Database, seqs: [Int64]) throws -> [Int64: InventoryItem.Location] {
        var result: [Int64: InventoryItem.Location] = [:]
        try inChunks(seqs) { chunk, marks in
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT item_seq, \(InventoryItem.Location.columns) FROM inventory_locations
                    WHERE item_seq IN (\(marks)) ORDER BY item_seq, type, target, line, commit_id
                    """,
                arguments: StatementArguments(chunk))
            while let row = try rows.next() {
                let seq: Int64 = row[0]
                if result[seq] == nil { result[seq] = .init(locationRow: row, offset: 1) }
            }
        }
        return result
    }

    static func storedFinding(_ row: Row, location: InventoryItem.Location?) throws -> StoredFinding {
        let itemID: String = row[1]
        let ruleText: String = row[2]
        let rank: Int = row[3]
        guard let rule = Finding.Rule(rawValue: ruleText), Finding.Severity.allCases.indices.contains(rank) else {
            throw StoreError.corrupt("finding on '\(itemID)': unknown rule '\(ruleText)' or severity \(rank)")
        }
        let finding = Finding(
            rule: rule, severity: Finding.Severity.allCases[rank], itemID: itemID, owner: row[4], title: row[5],
            evidence: row[6], fix: row[7], location: location)
        return StoredFinding(finding: finding, firstDetected: StoredDate.decode(row[8]), computedAt: StoredDate.decode(row[9]))
    }

    /// Marks findings out of date: the inventory generation moves on with every change to it.
    static func markFindingsStale(_ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO meta (key, value) VALUES ('inventory_generation', '1')
                ON CONFLICT(key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)
                """)
    }

    static func metaValue(_ db: Database, _ key: String) throws -> String? {
        try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key])
    }

    static func setMetaValue(_ db: Database, _ key: String, _ value: String) throws {
        try db.execute(
            sql: "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            arguments: [key, value])
    }
}
