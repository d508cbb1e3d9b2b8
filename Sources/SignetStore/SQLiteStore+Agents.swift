import Foundation
import GRDB
import SignetCore

// Node agents: join tokens (one-time secrets, stored as hashes) and the record
// of every attested agent. As everywhere in the store, each call is one
// transaction that carries its audit event.

extension SQLiteStore {
    public func createJoinToken(_ token: JoinToken, event: AuditEvent) async throws {
        let stored = EncodedJoinToken(token)
        let event = try EncodedEvent(event)
        try await writer.write { db in
            let taken = try Bool.fetchOne(
                db, sql: "SELECT EXISTS (SELECT 1 FROM join_tokens WHERE id = ?)", arguments: [stored.id]) ?? false
            if taken { throw StoreError.conflict("join token id '\(stored.id)' is already taken") }
            try db.execute(
                sql: "INSERT INTO join_tokens (\(EncodedJoinToken.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                arguments: stored.arguments)
            try event.insert(db)
        }
    }

    /// Marks the token used by `agentID` and appends `event`, all or nothing.
    ///
    /// The check and the update share one write transaction, and SQLite has a
    /// single writer, so of two concurrent calls for one token exactly one
    /// succeeds; the other sees it used. A wrong secret reads as an unknown
    /// token, so a caller learns nothing about tokens it cannot present.
    public func consumeJoinToken(id: String, secretHash: String, agentID: SPIFFEID, now: Date, event: AuditEvent)
        async throws -> JoinToken
    {
        let event = try EncodedEvent(event)
        let usedAt = StoredDate.encode(now)
        return try await writer.write { db in
            guard var token = try Self.fetchJoinToken(db, id: id), Self.constantTimeEqual(token.secretHash, secretHash)
            else {
                throw StoreError.notFound("join token '\(id)'")
            }
            if let usedAt = token.usedAt {
                throw StoreError.conflict("join token '\(id)' was already used at \(usedAt)")
            }
            if token.expiresAt <= now {
                throw StoreError.conflict("join token '\(id)' expired at \(token.expiresAt)")
            }
            try db.execute(
                sql: "UPDATE join_tokens SET used_at = ?, used_by = ? WHERE id = ? AND used_at IS NULL",
                arguments: [usedAt, agentID.description, id])
            guard db.changesCount == 1 else {
                throw StoreError.conflict("join token '\(id)' was already used")
            }
            try event.insert(db)
            token.usedAt = StoredDate.decode(usedAt)
            token.usedBy = agentID
            return token
        }
    }

    public func joinToken(id: String) async throws -> JoinToken? {
        try await writer.read { db in try Self.fetchJoinToken(db, id: id) }
    }

    /// Inserts the agent or replaces the record with the same SPIFFE ID.
    public func saveAgent(_ agent: AgentRecord, event: AuditEvent) async throws {
        let stored = try EncodedAgent(agent)
        let event = try EncodedEvent(event)
        try await writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO agents (\(EncodedAgent.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (id) DO UPDATE SET attestation_type = excluded.attestation_type,
                        selectors = excluded.selectors, serial = excluded.serial,
                        svid_expires_at = excluded.svid_expires_at, attested_at = excluded.attested_at,
                        last_seen_at = excluded.last_seen_at, evicted = excluded.evicted
                    """,
                arguments: stored.arguments)
            try event.insert(db)
        }
    }

    public func agent(id: SPIFFEID) async throws -> AgentRecord? {
        try await writer.read { db in
            try Row.fetchOne(
                db, sql: "SELECT \(EncodedAgent.columns) FROM agents WHERE id = ?", arguments: [id.description]
            ).map(AgentRecord.init(stored:))
        }
    }

    /// Every agent, evicted ones included, ordered by SPIFFE ID.
    public func listAgents() async throws -> [AgentRecord] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT \(EncodedAgent.columns) FROM agents ORDER BY id")
                .map(AgentRecord.init(stored:))
        }
    }

    /// Appends several events that accompany no state change in one transaction
    /// (one fsync for a batch an agent reports), all or none.
    public func appendEvents(_ events: [AuditEvent]) async throws {
        guard !events.isEmpty else { return }
        let encoded = try events.map(EncodedEvent.init)
        try await writer.write { db in
            for event in encoded { try event.insert(db) }
        }
    }

    // MARK: Helpers

    static func fetchJoinToken(_ db: Database, id: String) throws -> JoinToken? {
        try Row.fetchOne(
            db, sql: "SELECT \(EncodedJoinToken.columns) FROM join_tokens WHERE id = ?", arguments: [id]
        ).map(JoinToken.init(stored:))
    }

    /// Compares two hashes without an early exit, so timing does not reveal a matching prefix.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in x.indices { difference |= x[i] ^ y[i] }
        return difference == 0
    }
}

// MARK: - Rows

struct EncodedJoinToken: Sendable {
    static let columns = "id, secret_hash, spiffe_id, created_by, created_at, expires_at, used_at, used_by"

    let id: String
    let arguments: StatementArguments

    init(_ token: JoinToken) {
        id = token.id
        arguments = [
            token.id, token.secretHash, token.spiffeID?.description, token.createdBy,
            StoredDate.encode(token.createdAt), StoredDate.encode(token.expiresAt),
            token.usedAt.map(StoredDate.encode), token.usedBy?.description,
        ]
    }
}

extension JoinToken {
    init(stored row: Row) throws {
        let id = try StoredRow(row, what: "join token").value("id", as: String.self)
        let r = StoredRow(row, what: "join token '\(id)'")
        self.init(
            id: id,
            secretHash: try r.value("secret_hash"),
            spiffeID: try r.optionalSPIFFEID("spiffe_id"),
            createdBy: try r.value("created_by"),
            createdAt: try r.date("created_at"),
            expiresAt: try r.date("expires_at"),
            usedAt: try r.optionalDate("used_at"),
            usedBy: try r.optionalSPIFFEID("used_by"))
    }
}

struct EncodedAgent: Sendable {
    static let columns =
        "id, attestation_type, selectors, serial, svid_expires_at, attested_at, last_seen_at, evicted"

    let arguments: StatementArguments

    init(_ agent: AgentRecord) throws {
        let selectors = Set(agent.selectors.map(\.description)).sorted()
        arguments = [
            agent.id.description, agent.attestationType, try StoredJSON.encode(selectors), agent.serial,
            StoredDate.encode(agent.svidExpiresAt), StoredDate.encode(agent.attestedAt),
            StoredDate.encode(agent.lastSeenAt), agent.evicted,
        ]
    }
}

extension AgentRecord {
    init(stored row: Row) throws {
        let r0 = StoredRow(row, what: "agent")
        let id = try r0.spiffeID("id")
        let r = StoredRow(row, what: "agent '\(id)'")
        let selectors: [Selector]
        do {
            selectors = try r.json("selectors", as: [String].self).map { try Selector($0) }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.corrupt("agent '\(id)': column selectors: \(error)")
        }
        self.init(
            id: id,
            attestationType: try r.value("attestation_type"),
            selectors: selectors,
            serial: try r.value("serial"),
            svidExpiresAt: try r.date("svid_expires_at"),
            attestedAt: try r.date("attested_at"),
            lastSeenAt: try r.date("last_seen_at"),
            evicted: try r.value("evicted"))
    }
}
