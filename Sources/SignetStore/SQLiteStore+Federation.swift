import Foundation
import GRDB
import SignetCore

// Federation configuration: trust rules for external issuers, OAuth clients,
// and federated SPIFFE trust domains with their fetched bundles. Each is a JSON
// document of the Core value; the columns beside it exist for lookups and
// uniqueness only.

extension SQLiteStore {
    // MARK: Trust rules

    public func createTrustRule(_ rule: TrustRule, event: AuditEvent) async throws {
        let document = try StoredJSON.encode(rule)
        let event = try EncodedEvent(event)
        try await writer.write { db in
            if try Self.exists(db, "SELECT 1 FROM trust_rules WHERE id = ?", [rule.id]) {
                throw StoreError.conflict("trust rule id '\(rule.id)' is already taken")
            }
            if try Self.exists(db, "SELECT 1 FROM trust_rules WHERE name = ?", [rule.name]) {
                throw StoreError.conflict("a trust rule named '\(rule.name)' already exists")
            }
            try db.execute(
                sql: "INSERT INTO trust_rules (id, name, issuer, document, revision) VALUES (?, ?, ?, ?, ?)",
                arguments: [rule.id, rule.name, rule.issuer, document, rule.revision])
            try event.insert(db)
        }
    }

    public func updateTrustRule(_ rule: TrustRule, expectedRevision: Int?, event: AuditEvent) async throws {
        let document = try StoredJSON.encode(rule)
        let event = try EncodedEvent(event)
        try await writer.write { db in
            guard let current = try Int.fetchOne(db, sql: "SELECT revision FROM trust_rules WHERE id = ?", arguments: [rule.id])
            else { throw StoreError.notFound("trust rule '\(rule.id)'") }
            if let expectedRevision, expectedRevision != current {
                throw StoreError.conflict(
                    "trust rule '\(rule.name)' changed meanwhile (revision \(current), expected \(expectedRevision)); "
                        + "fetch it again and retry")
            }
            if try Self.exists(db, "SELECT 1 FROM trust_rules WHERE name = ? AND id <> ?", [rule.name, rule.id]) {
                throw StoreError.conflict("a trust rule named '\(rule.name)' already exists")
            }
            try db.execute(
                sql: "UPDATE trust_rules SET name = ?, issuer = ?, document = ?, revision = ? WHERE id = ?",
                arguments: [rule.name, rule.issuer, document, rule.revision, rule.id])
            try event.insert(db)
        }
    }

    @discardableResult
    public func deleteTrustRule(id: String, event: AuditEvent) async throws -> TrustRule {
        let event = try EncodedEvent(event)
        return try await writer.write { db in
            guard let rule = try Self.trustRules(db, where: "id = ?", [id]).first else {
                throw StoreError.notFound("trust rule '\(id)'")
            }
            try db.execute(sql: "DELETE FROM trust_rules WHERE id = ?", arguments: [id])
            try event.insert(db)
            return rule
        }
    }

    public func trustRule(id: String) async throws -> TrustRule? {
        try await writer.read { db in try Self.trustRules(db, where: "id = ?", [id]).first }
    }

    public func trustRule(name: String) async throws -> TrustRule? {
        try await writer.read { db in try Self.trustRules(db, where: "name = ?", [name]).first }
    }

    public func listTrustRules() async throws -> [TrustRule] {
        try await writer.read { db in try Self.trustRules(db, where: "1", []) }
    }

    static func trustRules(_ db: Database, where filter: String, _ arguments: StatementArguments) throws
        -> [TrustRule]
    {
        try documents(db, table: "trust_rules", key: "id", orderBy: "name", what: "trust rule", filter, arguments)
    }

    // MARK: OAuth clients

    public func createOAuthClient(_ client: OAuthClient, event: AuditEvent) async throws {
        let document = try StoredJSON.encode(client)
        let event = try EncodedEvent(event)
        try await writer.write { db in
            if try Self.exists(db, "SELECT 1 FROM oauth_clients WHERE id = ?", [client.id]) {
                throw StoreError.conflict("an OAuth client '\(client.id)' already exists")
            }
            try db.execute(
                sql: "INSERT INTO oauth_clients (id, document) VALUES (?, ?)", arguments: [client.id, document])
            try event.insert(db)
        }
    }

    @discardableResult
    public func deleteOAuthClient(id: String, event: AuditEvent) async throws -> OAuthClient {
        let event = try EncodedEvent(event)
        return try await writer.write { db in
            guard let client = try Self.oauthClients(db, where: "id = ?", [id]).first else {
                throw StoreError.notFound("OAuth client '\(id)'")
            }
            try db.execute(sql: "DELETE FROM oauth_clients WHERE id = ?", arguments: [id])
            try event.insert(db)
            return client
        }
    }

    public func oauthClient(id: String) async throws -> OAuthClient? {
        try await writer.read { db in try Self.oauthClients(db, where: "id = ?", [id]).first }
    }

    public func listOAuthClients() async throws -> [OAuthClient] {
        try await writer.read { db in try Self.oauthClients(db, where: "1", []) }
    }

    static func oauthClients(_ db: Database, where filter: String, _ arguments: StatementArguments) throws
        -> [OAuthClient]
    {
        try documents(db, table: "oauth_clients", key: "id", orderBy: "id", what: "OAuth client", filter, arguments)
    }

    // MARK: Federated trust domains

    public func saveFederation(_ relationship: FederationRelationship, event: AuditEvent) async throws {
        let document = try StoredJSON.encode(relationship)
        let event = try EncodedEvent(event)
        try await writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO federations (trust_domain, document) VALUES (?, ?)
                    ON CONFLICT (trust_domain) DO UPDATE SET document = excluded.document
                    """,
                arguments: [relationship.trustDomain.description, document])
            try event.insert(db)
        }
    }

    @discardableResult
    public func deleteFederation(trustDomain: TrustDomain, event: AuditEvent) async throws -> FederationRelationship {
        let event = try EncodedEvent(event)
        return try await writer.write { db in
            guard let relationship = try Self.federations(db, where: "trust_domain = ?", [trustDomain.description]).first
            else { throw StoreError.notFound("federation with '\(trustDomain)'") }
            try db.execute(sql: "DELETE FROM federations WHERE trust_domain = ?", arguments: [trustDomain.description])
            try db.execute(
                sql: "DELETE FROM federated_bundles WHERE trust_domain = ?", arguments: [trustDomain.description])
            try event.insert(db)
            return relationship
        }
    }

    public func federation(trustDomain: TrustDomain) async throws -> FederationRelationship? {
        try await writer.read { db in
            try Self.federations(db, where: "trust_domain = ?", [trustDomain.description]).first
        }
    }

    public func listFederations() async throws -> [FederationRelationship] {
        try await writer.read { db in try Self.federations(db, where: "1", []) }
    }

    public func saveFederatedBundle(_ bundle: FederatedBundle, event: AuditEvent?) async throws {
        let document = try StoredJSON.encode(bundle)
        let event = try event.map(EncodedEvent.init)
        try await writer.write { db in
            guard try Self.exists(db, "SELECT 1 FROM federations WHERE trust_domain = ?", [bundle.trustDomain.description])
            else { throw StoreError.notFound("federation with '\(bundle.trustDomain)'") }
            try db.execute(
                sql: """
                    INSERT INTO federated_bundles (trust_domain, document) VALUES (?, ?)
                    ON CONFLICT (trust_domain) DO UPDATE SET document = excluded.document
                    """,
                arguments: [bundle.trustDomain.description, document])
            try event?.insert(db)
        }
    }

    public func federatedBundle(trustDomain: TrustDomain) async throws -> FederatedBundle? {
        try await writer.read { db in
            try Self.federatedBundles(db, where: "trust_domain = ?", [trustDomain.description]).first
        }
    }

    public func listFederatedBundles() async throws -> [FederatedBundle] {
        try await writer.read { db in try Self.federatedBundles(db, where: "1", []) }
    }

    static func federations(_ db: Database, where filter: String, _ arguments: StatementArguments) throws
        -> [FederationRelationship]
    {
        try documents(
            db, table: "federations", key: "trust_domain", orderBy: "trust_domain", what: "federation", filter, arguments)
    }

    static func federatedBundles(_ db: Database, where filter: String, _ arguments: StatementArguments) throws
        -> [FederatedBundle]
    {
        try documents(
            db, table: "federated_bundles", key: "trust_domain", orderBy: "trust_domain", what: "federated bundle",
            filter, arguments)
    }

    /// Rows of a document table decoded as `T`; an unreadable document is ``StoreError/corrupt(_:)`` naming its key.
    static func documents<T: Decodable>(
        _ db: Database, table: String, key: String, orderBy: String, what: String, _ filter: String,
        _ arguments: StatementArguments
    ) throws -> [T] {
        try Row.fetchAll(
            db, sql: "SELECT \(key), document FROM \(table) WHERE \(filter) ORDER BY \(orderBy)", arguments: arguments
        ).map { row in
            let id = try StoredRow(row, what: what).value(key, as: String.self)
            return try StoredRow(row, what: "\(what) '\(id)'").json("document", as: T.self)
        }
    }

    static func exists(_ db: Database, _ sql: String, _ arguments: StatementArguments) throws -> Bool {
        try Row.fetchOne(db, sql: sql, arguments: arguments) != nil
    }
}
