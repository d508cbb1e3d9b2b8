import GRDB
import SignetCore

// The audit log and the server's small key/value facts.

extension SQLiteStore {
    /// Appends an event that accompanies no state change (a refusal, a login).
    public func appendEvent(_ event: AuditEvent) async throws {
        let event = try EncodedEvent(event)
        try await writer.write { db in try event.insert(db) }
    }

    /// Events after `afterSequence` (exclusive), ascending, each with its `sequence` set.
    /// A reader follows the log by passing the last sequence it saw.
    public func listEvents(_ query: EventQuery) async throws -> [AuditEvent] {
        var sql = "SELECT \(EncodedEvent.columns) FROM events WHERE sequence > ?"
        var arguments: StatementArguments = [query.afterSequence]
        if let action = query.action {
            sql += " AND action = ?"
            arguments += [action]
        }
        sql += " ORDER BY sequence LIMIT ?"
        arguments += [max(0, query.limit)]
        return try await writer.read { [sql, arguments] db in
            try Row.fetchAll(db, sql: sql, arguments: arguments).map(AuditEvent.init(stored:))
        }
    }

    public func meta(_ key: String) async throws -> String? {
        try await writer.read { db in
            try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key])
        }
    }

    /// Sets (or replaces) a fact, appending `event` in the same transaction when given.
    public func setMeta(_ key: String, to value: String, event: AuditEvent?) async throws {
        let event = try event.map(EncodedEvent.init)
        try await writer.write { db in
            try db.execute(
                sql: "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                arguments: [key, value])
            try event?.insert(db)
        }
    }
}
