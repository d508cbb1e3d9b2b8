import Foundation
import GRDB
import SignetCore

// How domain values become SQLite values and back. Encoding happens before a
// transaction starts, so a value that cannot be encoded fails its own call
// without holding the write lock (and, for issuance, without touching a batch).

/// Instants are stored as INTEGER milliseconds since 1970-01-01T00:00:00Z.
///
/// Integers index and compare exactly (expiry sweeps use `not_after`), and
/// milliseconds are a precision PostgreSQL (microseconds) also keeps, so both
/// backends agree. A `Date` with whole-millisecond precision round-trips to an
/// equal `Date`; finer parts are rounded to the nearest millisecond.
enum StoredDate {
    static func encode(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    static func decode(_ milliseconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    }
}

/// JSON text columns (selectors, DNS names, audiences, event details).
///
/// Keys are sorted and slashes unescaped so that equal values always produce
/// identical text: the entry uniqueness index compares the selectors column as text.
enum StoredJSON {
    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        return String(decoding: data, as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, from text: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(text.utf8))
    }
}

/// Reads typed columns from a row, turning any mismatch into ``StoreError/corrupt(_:)``
/// that names the record and column, instead of GRDB's fatal conversion errors.
struct StoredRow {
    let row: Row
    /// What the row is, for error messages (e.g. `entry 'abc'`).
    let what: String

    init(_ row: Row, what: String) {
        self.row = row
        self.what = what
    }

    func value<T: DatabaseValueConvertible>(_ column: String, as type: T.Type = T.self) throws -> T {
        do {
            return try row.decode(type, forColumn: column)
        } catch {
            throw StoreError.corrupt("\(what): column \(column): \(error)")
        }
    }

    func date(_ column: String) throws -> Date {
        StoredDate.decode(try value(column, as: Int64.self))
    }

    func optionalDate(_ column: String) throws -> Date? {
        try value(column, as: Int64?.self).map(StoredDate.decode)
    }

    func spiffeID(_ column: String) throws -> SPIFFEID {
        let text = try value(column, as: String.self)
        do {
            return try SPIFFEID(text)
        } catch {
            throw StoreError.corrupt("\(what): column \(column): \(error)")
        }
    }

    func optionalSPIFFEID(_ column: String) throws -> SPIFFEID? {
        guard try value(column, as: String?.self) != nil else { return nil }
        return try spiffeID(column)
    }

    func json<T: Decodable>(_ column: String, as type: T.Type) throws -> T {
        let text = try value(column, as: String.self)
        do {
            return try StoredJSON.decode(type, from: text)
        } catch {
            throw StoreError.corrupt("\(what): column \(column) is not the expected JSON: \(error)")
        }
    }
}

// MARK: - Entries

/// A registration entry as stored: selectors in canonical form (sorted, without
/// duplicates), because an entry's selectors are a set and the uniqueness rule
/// compares them as one text value.
struct EncodedEntry: Sendable {
    static let columns = """
        id, spiffe_id, parent_id, selectors, x509_ttl, jwt_ttl, dns_names, owner, purpose, environment, \
        expires_at, created_by, created_at, updated_at, revision, federates_with
        """

    let id: String
    let spiffeID: String
    let parentID: String?
    let selectors: [String]
    let selectorsJSON: String
    let x509TTL: Int
    let jwtTTL: Int
    let dnsNamesJSON: String
    let owner: String
    let purpose: String
    let environment: String?
    let expiresAt: Int64?
    let createdBy: String
    let createdAt: Int64
    let updatedAt: Int64
    let revision: Int
    let federatesWithJSON: String

    init(_ entry: RegistrationEntry) throws {
        id = entry.id
        spiffeID = entry.spiffeID.description
        parentID = entry.parentID?.description
        selectors = Set(entry.selectors.map(\.description)).sorted()
        selectorsJSON = try StoredJSON.encode(selectors)
        x509TTL = entry.x509TTL
        jwtTTL = entry.jwtTTL
        dnsNamesJSON = try StoredJSON.encode(entry.dnsNames)
        owner = entry.owner
        purpose = entry.purpose
        environment = entry.environment
        expiresAt = entry.expiresAt.map(StoredDate.encode)
        createdBy = entry.createdBy
        createdAt = StoredDate.encode(entry.createdAt)
        updatedAt = StoredDate.encode(entry.updatedAt)
        revision = entry.revision
        federatesWithJSON = try StoredJSON.encode(Set(entry.federatesWith.map(\.description)).sorted())
    }

    /// Named arguments for the `:column` placeholders of inserts and updates.
    var arguments: StatementArguments {
        [
            "id": id, "spiffe_id": spiffeID, "parent_id": parentID, "selectors": selectorsJSON,
            "x509_ttl": x509TTL, "jwt_ttl": jwtTTL, "dns_names": dnsNamesJSON, "owner": owner,
            "purpose": purpose, "environment": environment, "expires_at": expiresAt, "created_by": createdBy,
            "created_at": createdAt, "updated_at": updatedAt, "revision": revision,
            "federates_with": federatesWithJSON,
        ]
    }
}

extension RegistrationEntry {
    init(stored row: Row) throws {
        let id = try StoredRow(row, what: "entry").value("id", as: String.self)
        let r = StoredRow(row, what: "entry '\(id)'")
        let selectorTexts = try r.json("selectors", as: [String].self)
        let selectors: [Selector]
        do {
            selectors = try selectorTexts.map { try Selector($0) }
        } catch {
            throw StoreError.corrupt("entry '\(id)': column selectors: \(error)")
        }
        self.init(
            id: id,
            spiffeID: try r.spiffeID("spiffe_id"),
            parentID: try r.optionalSPIFFEID("parent_id"),
            selectors: selectors,
            x509TTL: try r.value("x509_ttl"),
            jwtTTL: try r.value("jwt_ttl"),
            dnsNames: try r.json("dns_names", as: [String].self),
            owner: try r.value("owner"),
            purpose: try r.value("purpose"),
            environment: try r.value("environment"),
            expiresAt: try r.optionalDate("expires_at"),
            createdBy: try r.value("created_by"),
            createdAt: try r.date("created_at"),
            updatedAt: try r.date("updated_at"),
            revision: try r.value("revision"),
            federatesWith: try r.json("federates_with", as: [TrustDomain].self)
        )
    }
}

// MARK: - Credentials

struct EncodedCredential: Sendable {
    static let columns = """
        serial, kind, spiffe_id, entry_id, public_key_fingerprint, not_before, not_after, issued_to, issued_at, \
        audience
        """

    let serial: String
    let arguments: StatementArguments
    /// The credential as an inventory item (see ``insertInventoryItem(_:)``).
    let inventoryArguments: StatementArguments
    let locationArguments: StatementArguments

    init(_ credential: CredentialRecord) throws {
        serial = credential.serial
        // An X.509-SVID is the key it certifies (renewals of one key are one item); a JWT is itself.
        let fingerprint =
            credential.kind == .x509SVID ? "sha256:" + credential.publicKeyFingerprint : "jti:" + credential.serial
        let itemID = InventoryItem.stableID(kind: .signetSVID, fingerprint: fingerprint)
        var attributes = [
            "spiffe_id": credential.spiffeID.description, "serial": credential.serial,
            "credential_kind": credential.kind.rawValue, "svid_type": credential.kind == .x509SVID ? "x509" : "jwt",
        ]
        if let entry = credential.entryID { attributes["entry_id"] = entry }
        if !credential.audience.isEmpty { attributes["audience"] = credential.audience.joined(separator: ",") }
        let issued = StoredDate.encode(credential.issuedAt)
        inventoryArguments = [
            itemID, fingerprint, credential.spiffeID.description, credential.entryID, credential.entryID,
            StoredDate.encode(credential.notBefore), StoredDate.encode(credential.notAfter), issued, issued,
            StoredList.encode(attributes),
        ]
        locationArguments = ["signet", credential.issuedTo, 0, "", 0, issued, issued, itemID]
        arguments = [
            credential.serial, credential.kind.rawValue, credential.spiffeID.description, credential.entryID,
            credential.publicKeyFingerprint, StoredDate.encode(credential.notBefore),
            StoredDate.encode(credential.notAfter), credential.issuedTo, StoredDate.encode(credential.issuedAt),
            try StoredJSON.encode(credential.audience),
        ]
    }

    /// Inserts the row; a duplicate serial fails with SQLITE_CONSTRAINT_PRIMARYKEY.
    func insert(_ db: Database) throws {
        try db.cachedStatement(sql: "INSERT INTO credentials (\(Self.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
            .execute(arguments: arguments)
    }

    /// Records the credential in the inventory, owned by its entry's owner, in the same savepoint.
    func insertInventoryItem(_ db: Database) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO inventory_items (id, kind, fingerprint, name, owner, owner_source, status, managed,
                    encrypted, created_at, expires_at, first_seen, last_seen, privileges, notes, attributes)
                VALUES (?, 'signet-svid', ?, ?, (SELECT owner FROM entries WHERE id = ?),
                    CASE WHEN (SELECT owner FROM entries WHERE id = ?) IS NULL THEN NULL ELSE 'signet' END,
                    'active', 1, 0, ?, ?, ?, ?, '', '', ?)
                ON CONFLICT(id) DO UPDATE SET
                    expires_at = max(coalesce(expires_at, 0), excluded.expires_at),
                    last_seen = max(last_seen, excluded.last_seen),
                    attributes = excluded.attributes,
                    owner = CASE WHEN owner_source = 'manual' OR excluded.owner IS NULL THEN owner ELSE excluded.owner END,
                    owner_source = CASE WHEN owner_source = 'manual' OR excluded.owner IS NULL THEN owner_source
                        ELSE 'signet' END
                """
        ).execute(arguments: inventoryArguments)
        try db.cachedStatement(
            sql: """
                INSERT INTO inventory_locations (item_seq, type, target, line, commit_id, col, first_seen, last_seen)
                SELECT seq, ?, ?, ?, ?, ?, ?, ? FROM inventory_items WHERE id = ?
                ON CONFLICT DO UPDATE SET
                    first_seen = min(first_seen, excluded.first_seen),
                    last_seen = max(last_seen, excluded.last_seen)
                """
        ).execute(arguments: locationArguments)
    }
}

extension CredentialRecord {
    init(stored row: Row) throws {
        let serial = try StoredRow(row, what: "credential").value("serial", as: String.self)
        let r = StoredRow(row, what: "credential '\(serial)'")
        let kindText = try r.value("kind", as: String.self)
        guard let kind = Kind(rawValue: kindText) else {
            throw StoreError.corrupt("credential '\(serial)': unknown kind '\(kindText)'")
        }
        self.init(
            serial: serial,
            kind: kind,
            spiffeID: try r.spiffeID("spiffe_id"),
            entryID: try r.value("entry_id"),
            publicKeyFingerprint: try r.value("public_key_fingerprint"),
            notBefore: try r.date("not_before"),
            notAfter: try r.date("not_after"),
            issuedTo: try r.value("issued_to"),
            issuedAt: try r.date("issued_at"),
            audience: try r.json("audience", as: [String].self)
        )
    }
}

// MARK: - Events

struct EncodedEvent: Sendable {
    static let columns = "sequence, time, actor, action, subject, outcome, reason, details"

    let arguments: StatementArguments

    init(_ event: AuditEvent) throws {
        arguments = [
            StoredDate.encode(event.time), event.actor, event.action, event.subject, event.outcome.rawValue,
            event.reason, try StoredJSON.encode(event.details),
        ]
    }

    /// Appends the event; SQLite assigns the next sequence number.
    func insert(_ db: Database) throws {
        try db.cachedStatement(
            sql: "INSERT INTO events (time, actor, action, subject, outcome, reason, details) VALUES (?, ?, ?, ?, ?, ?, ?)"
        ).execute(arguments: arguments)
    }
}

extension AuditEvent {
    init(stored row: Row) throws {
        let sequence = try StoredRow(row, what: "event").value("sequence", as: Int64.self)
        let r = StoredRow(row, what: "event \(sequence)")
        let outcomeText = try r.value("outcome", as: String.self)
        guard let outcome = Outcome(rawValue: outcomeText) else {
            throw StoreError.corrupt("event \(sequence): unknown outcome '\(outcomeText)'")
        }
        self.init(
            time: try r.date("time"),
            actor: try r.value("actor"),
            action: try r.value("action"),
            subject: try r.value("subject"),
            outcome: outcome,
            reason: try r.value("reason"),
            details: try r.json("details", as: [String: String].self)
        )
        self.sequence = sequence
    }
}
