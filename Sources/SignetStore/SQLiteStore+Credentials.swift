import GRDB
import SignetCore

// The credential inventory: the hot path of issuance writes here.

extension SQLiteStore {
    /// Durably records `credential` and its event; returns only after they are committed.
    ///
    /// Concurrent calls share a transaction and its fsync (see ``IssuanceBatcher``);
    /// each call's credential and event still commit together or not at all,
    /// inside a savepoint of that transaction. A serial already on record
    /// throws ``StoreError/conflict(_:)`` and writes nothing, not even the event.
    public func recordIssuance(_ credential: CredentialRecord, event: AuditEvent) async throws {
        let pending = PendingIssuance(credential: try EncodedCredential(credential), event: try EncodedEvent(event))
        try await issuances.record(pending)
    }

    public func credential(serial: String) async throws -> CredentialRecord? {
        try await writer.read { db in
            try Row.fetchOne(
                db, sql: "SELECT \(EncodedCredential.columns) FROM credentials WHERE serial = ?", arguments: [serial]
            ).map(CredentialRecord.init(stored:))
        }
    }

    /// Credentials matching the query, oldest issuance first (ties by serial).
    public func listCredentials(_ query: CredentialQuery) async throws -> [CredentialRecord] {
        var conditions: [String] = []
        var arguments = StatementArguments()
        if let spiffeID = query.spiffeID {
            conditions.append("spiffe_id = ?")
            arguments += [spiffeID.description]
        }
        if let kind = query.kind {
            conditions.append("kind = ?")
            arguments += [kind.rawValue]
        }
        let filter = conditions.isEmpty ? "1" : conditions.joined(separator: " AND ")
        arguments += [max(0, query.limit)]
        return try await writer.read { [arguments] db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT \(EncodedCredential.columns) FROM credentials
                    WHERE \(filter) ORDER BY issued_at, serial LIMIT ?
                    """,
                arguments: arguments
            ).map(CredentialRecord.init(stored:))
        }
    }
}
