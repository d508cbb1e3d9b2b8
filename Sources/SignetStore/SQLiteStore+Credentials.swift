import Foundation
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
    public func recordIssuance(
        _ credential: CredentialRecord, event: AuditEvent, consuming tokens: [TokenUse], now: Date
    ) async throws {
        var pending = PendingIssuance(credential: try EncodedCredential(credential), event: try EncodedEvent(event))
        pending.tokenUses = tokens.map { ($0.key, StoredDate.encode($0.expiresAt)) }
        pending.now = StoredDate.encode(now)
        try await issuances.record(pending)
    }

    public func tokenUses(activeAt now: Date) async throws -> [TokenUse] {
        try await writer.read { db in
            try Row.fetchAll(
                db, sql: "SELECT key, expires_at FROM token_uses WHERE expires_at > ?",
                arguments: [StoredDate.encode(now)]
            ).map { row in
                let r = StoredRow(row, what: "token use")
                return TokenUse(key: try r.value("key"), expiresAt: try r.date("expires_at"))
            }
        }
    }

    public func purgeTokenUses(expiredBefore instant: Date) async throws -> Int {
        try await writer.write { db in
            try db.execute(
                sql: "DELETE FROM token_uses WHERE expires_at <= ?", arguments: [StoredDate.encode(instant)])
            return db.changesCount
        }
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
