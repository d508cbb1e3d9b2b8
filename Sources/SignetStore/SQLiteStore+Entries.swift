import Foundation
import GRDB
import SignetCore

// Registration entries. Every write checks its preconditions inside its own
// transaction: SQLite has one writer at a time, so a check cannot be
// invalidated before the change commits. The unique index `entries_identity`
// stays as the last line of defence against a concurrent writer from another process.

extension SQLiteStore {
    public func createEntry(_ entry: RegistrationEntry, event: AuditEvent) async throws {
        let stored = try EncodedEntry(entry)
        let event = try EncodedEvent(event)
        try await writer.write { db in
            if try Self.entryExists(db, id: stored.id) {
                throw StoreError.conflict("entry id '\(stored.id)' is already taken")
            }
            try Self.checkIdentityIsFree(db, for: stored)
            try Self.mappingConstraintErrors(stored) {
                try db.execute(
                    sql: "INSERT INTO entries (\(EncodedEntry.columns)) VALUES (\(Self.entryPlaceholders))",
                    arguments: stored.arguments)
            }
            try Self.insertSelectors(db, of: stored)
            try event.insert(db)
        }
    }

    public func updateEntry(_ entry: RegistrationEntry, event: AuditEvent) async throws {
        let stored = try EncodedEntry(entry)
        let event = try EncodedEvent(event)
        try await writer.write { db in
            guard try Self.entryExists(db, id: stored.id) else {
                throw StoreError.notFound("entry '\(stored.id)'")
            }
            try Self.checkIdentityIsFree(db, for: stored)
            try Self.mappingConstraintErrors(stored) {
                try db.execute(
                    sql: """
                        UPDATE entries SET spiffe_id = :spiffe_id, parent_id = :parent_id, selectors = :selectors,
                            x509_ttl = :x509_ttl, jwt_ttl = :jwt_ttl, dns_names = :dns_names, owner = :owner,
                            purpose = :purpose, environment = :environment, expires_at = :expires_at,
                            created_by = :created_by, created_at = :created_at, updated_at = :updated_at,
                            revision = :revision, federates_with = :federates_with
                        WHERE id = :id
                        """,
                    arguments: stored.arguments)
            }
            try db.execute(sql: "DELETE FROM entry_selectors WHERE entry_id = ?", arguments: [stored.id])
            try Self.insertSelectors(db, of: stored)
            try event.insert(db)
        }
    }

    @discardableResult
    public func deleteEntry(id: String, event: AuditEvent) async throws -> RegistrationEntry {
        let event = try EncodedEvent(event)
        return try await writer.write { db in
            guard let entry = try Self.fetchEntries(db, where: "id = ?", arguments: [id]).first else {
                throw StoreError.notFound("entry '\(id)'")
            }
            // entry_selectors rows go with it (ON DELETE CASCADE).
            try db.execute(sql: "DELETE FROM entries WHERE id = ?", arguments: [id])
            try event.insert(db)
            return entry
        }
    }

    public func entry(id: String) async throws -> RegistrationEntry? {
        try await writer.read { db in
            try Self.fetchEntries(db, where: "id = ?", arguments: [id]).first
        }
    }

    public func entries(spiffeID: SPIFFEID) async throws -> [RegistrationEntry] {
        try await writer.read { db in
            try Self.fetchEntries(db, where: "spiffe_id = ? ORDER BY id", arguments: [spiffeID.description])
        }
    }

    /// Entries matching every set field of `query`, ordered by id. Page with
    /// `after` set to the id of the last entry of the previous page.
    public func listEntries(_ query: EntryQuery) async throws -> [RegistrationEntry] {
        var conditions: [String] = []
        var arguments = StatementArguments()
        if let prefix = query.spiffeIDPrefix, !prefix.isEmpty {
            // The range lets SQLite use the spiffe_id index; substr makes the
            // match exact (a case-sensitive prefix, unlike LIKE).
            conditions.append("spiffe_id >= ? AND substr(spiffe_id, 1, length(?)) = ?")
            arguments += [prefix, prefix, prefix]
        }
        if let parentID = query.parentID {
            conditions.append("parent_id = ?")
            arguments += [parentID.description]
        }
        if let owner = query.owner {
            conditions.append("owner = ?")
            arguments += [owner]
        }
        if let selector = query.selector {
            conditions.append("id IN (SELECT entry_id FROM entry_selectors WHERE selector = ?)")
            arguments += [selector.description]
        }
        if let after = query.after {
            conditions.append("id > ?")
            arguments += [after]
        }
        let filter = conditions.isEmpty ? "1" : conditions.joined(separator: " AND ")
        arguments += [max(0, query.limit)]
        return try await writer.read { [arguments] db in
            try Self.fetchEntries(db, where: "\(filter) ORDER BY id LIMIT ?", arguments: arguments)
        }
    }

    // MARK: Helpers

    static let entryPlaceholders = EncodedEntry.columns
        .split(separator: ",")
        .map { ":" + $0.trimmingCharacters(in: .whitespaces) }
        .joined(separator: ", ")

    static func fetchEntries(_ db: Database, where clause: String, arguments: StatementArguments) throws
        -> [RegistrationEntry]
    {
        let rows = try Row.fetchAll(
            db, sql: "SELECT \(EncodedEntry.columns) FROM entries WHERE \(clause)", arguments: arguments)
        return try rows.map(RegistrationEntry.init(stored:))
    }

    static func entryExists(_ db: Database, id: String) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM entries WHERE id = ?)", arguments: [id]) ?? false
    }

    /// Throws a conflict naming the other entry when one already has this SPIFFE ID,
    /// parent and selector set (the rule `entries_identity` enforces).
    static func checkIdentityIsFree(_ db: Database, for entry: EncodedEntry) throws {
        let existing = try String.fetchOne(
            db,
            sql: """
                SELECT id FROM entries
                WHERE spiffe_id = ? AND ifnull(parent_id, '') = ifnull(?, '') AND selectors = ? AND id <> ?
                LIMIT 1
                """,
            arguments: [entry.spiffeID, entry.parentID, entry.selectorsJSON, entry.id])
        if let existing {
            throw StoreError.conflict(identityConflictMessage(entry, existing: existing))
        }
    }

    static func identityConflictMessage(_ entry: EncodedEntry, existing: String) -> String {
        let parent = entry.parentID.map { "parent \($0)" } ?? "no parent"
        let selectors = entry.selectors.isEmpty ? "no selectors" : "selectors \(entry.selectors.joined(separator: ", "))"
        return "entry '\(existing)' already maps \(entry.spiffeID) with \(parent) and \(selectors)"
    }

    /// Reports a unique-index violation as a conflict (only reachable when another
    /// process wrote between our check and our write).
    static func mappingConstraintErrors(_ entry: EncodedEntry, _ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            throw StoreError.conflict(
                "entry '\(entry.id)' clashes with an existing entry (same id, or same SPIFFE ID, parent and selectors)"
            )
        }
    }

    static func insertSelectors(_ db: Database, of entry: EncodedEntry) throws {
        let statement = try db.cachedStatement(sql: "INSERT INTO entry_selectors (entry_id, selector) VALUES (?, ?)")
        for selector in entry.selectors {
            try statement.execute(arguments: [entry.id, selector])
        }
    }
}
