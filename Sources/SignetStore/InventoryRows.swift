import Foundation
import GRDB
import SignetCore

// How inventory items become rows and back. Items are plain columns (list-valued
// facts joined by `StoredList`), so reading a million of them for a findings
// recomputation costs no JSON decoding.

/// Lists of strings in one TEXT column, joined by the ASCII record separator.
///
/// The separator (U+001E) is replaced by U+FFFD inside values: nothing a scanner
/// or importer reports legitimately contains it, and a hostile value cannot
/// split itself into two entries. Attribute pairs join key and value with the
/// unit separator (U+001F), replaced the same way.
enum StoredList {
    static let record: Character = "\u{1E}"
    static let unit: Character = "\u{1F}"

    static func encode(_ values: [String]) -> String {
        values.isEmpty ? "" : join(values.map(clean))
    }

    private static func join(_ cleaned: [String]) -> String {
        var text = ""
        for (index, value) in cleaned.enumerated() {
            if index > 0 { text.append(record) }
            text += value
        }
        return text
    }

    static func decode(_ text: String) -> [String] {
        text.isEmpty ? [] : text.split(separator: record, omittingEmptySubsequences: false).map(String.init)
    }

    static func encode(_ attributes: [String: String]) -> String {
        if attributes.isEmpty { return "" }
        return join(attributes.sorted { $0.key < $1.key }.map { clean($0.key) + String(unit) + clean($0.value) })
    }

    static func decodeAttributes(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        for pair in decode(text) {
            guard let split = pair.firstIndex(of: unit) else { continue }
            result[String(pair[..<split])] = String(pair[pair.index(after: split)...])
        }
        return result
    }

    private static func clean(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 == 0x1E || $0 == 0x1F }) else { return value }
        return String(value.map { $0 == record || $0 == unit ? "\u{FFFD}" : $0 })
    }
}

/// The columns of `inventory_items`, in the order ``EncodedInventoryItem/arguments`` binds them.
enum InventoryColumns {
    static let names = [
        "id", "kind", "fingerprint", "preview", "detector", "name", "owner", "owner_source", "purpose",
        "environment", "status", "managed", "encrypted", "created_at", "expires_at", "last_used_at", "first_seen",
        "last_seen", "algorithm", "key_size", "cert_subject", "cert_issuer", "cert_serial", "cert_sans",
        "cert_not_before", "cert_not_after", "cert_signature_algorithm", "cert_self_signed", "cert_is_ca",
        "privileges", "notes", "attributes",
    ]
    static let list = names.joined(separator: ", ")
    /// `seq` followed by ``list``: what reads select (`InventoryItem(inventoryRow:offset: 1)`).
    static let withSeq = "seq, " + list

    static let insert = """
        INSERT INTO inventory_items (\(list)) VALUES (\(Array(repeating: "?", count: names.count).joined(separator: ", ")))
        """

    /// Insert, or merge into the row already there (see `InventoryItem.merge`): facts the row lacks
    /// are filled, sightings widen first/last seen, owner and status are decided by the caller
    /// (who read the row first) and bound as the new values.
    static let upsert = """
        INSERT INTO inventory_items (\(list)) VALUES (\(Array(repeating: "?", count: names.count).joined(separator: ", ")))
        ON CONFLICT(id) DO UPDATE SET
            preview = coalesce(preview, excluded.preview),
            detector = coalesce(detector, excluded.detector),
            name = coalesce(name, excluded.name),
            owner = excluded.owner,
            owner_source = excluded.owner_source,
            purpose = coalesce(excluded.purpose, purpose),
            environment = coalesce(excluded.environment, environment),
            status = excluded.status,
            managed = max(managed, excluded.managed),
            encrypted = min(encrypted, excluded.encrypted),
            created_at = coalesce(created_at, excluded.created_at),
            expires_at = coalesce(excluded.expires_at, expires_at),
            last_used_at = max(coalesce(last_used_at, excluded.last_used_at), coalesce(excluded.last_used_at, last_used_at)),
            first_seen = min(first_seen, excluded.first_seen),
            last_seen = max(last_seen, excluded.last_seen),
            algorithm = coalesce(algorithm, excluded.algorithm),
            key_size = coalesce(key_size, excluded.key_size),
            cert_subject = coalesce(cert_subject, excluded.cert_subject),
            cert_issuer = coalesce(cert_issuer, excluded.cert_issuer),
            cert_serial = coalesce(cert_serial, excluded.cert_serial),
            cert_sans = coalesce(cert_sans, excluded.cert_sans),
            cert_not_before = coalesce(cert_not_before, excluded.cert_not_before),
            cert_not_after = coalesce(cert_not_after, excluded.cert_not_after),
            cert_signature_algorithm = coalesce(cert_signature_algorithm, excluded.cert_signature_algorithm),
            cert_self_signed = coalesce(cert_self_signed, excluded.cert_self_signed),
            cert_is_ca = coalesce(cert_is_ca, excluded.cert_is_ca),
            privileges = CASE WHEN excluded.privileges <> '' THEN excluded.privileges ELSE privileges END,
            notes = CASE WHEN excluded.notes <> '' THEN excluded.notes ELSE notes END,
            attributes = CASE WHEN excluded.attributes <> '' THEN excluded.attributes ELSE attributes END
        """

    static let locationUpsert = """
        INSERT INTO inventory_locations (item_seq, type, target, line, commit_id, col, first_seen, last_seen)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT DO UPDATE SET
            first_seen = min(first_seen, excluded.first_seen),
            last_seen = max(last_seen, excluded.last_seen)
        """
}

extension InventoryItem {
    /// Binds the ``InventoryColumns/names`` values, in order, for ``InventoryColumns/insert`` and
    /// ``InventoryColumns/upsert`` (owner and status as given).
    func bindColumns(_ b: inout RawBinding, owner: String?, ownerSource: String?, status: Status) {
        var seen = locations.first?.firstSeen ?? Date()
        var last = locations.first?.lastSeen ?? seen
        for location in locations.dropFirst() {
            seen = min(seen, location.firstSeen)
            last = max(last, location.lastSeen)
        }
        b.text(id); b.text(kind.rawValue); b.text(fingerprint); b.text(preview); b.text(detector); b.text(name)
        b.text(owner); b.text(ownerSource); b.text(purpose); b.text(environment); b.text(status.rawValue)
        b.bool(managedBySignet); b.bool(encrypted); b.date(created); b.date(expires); b.date(lastUsed)
        b.date(seen); b.date(last); b.text(algorithm); b.int(keySize)
        if let cert = certificate {
            b.text(cert.subject); b.text(cert.issuer); b.text(cert.serial); b.text(StoredList.encode(cert.sans))
            b.date(cert.notBefore); b.date(cert.notAfter); b.text(cert.signatureAlgorithm); b.bool(cert.selfSigned)
            b.bool(cert.isCA)
        } else {
            for _ in 0..<4 { b.text(nil) }
            b.date(nil); b.date(nil); b.text(nil); b.bool(nil); b.bool(nil)
        }
        b.text(StoredList.encode(privileges)); b.text(StoredList.encode(notes)); b.text(StoredList.encode(attributes))
    }

    /// Reads an item from a row holding ``InventoryColumns/names`` in order starting at `offset`
    /// (by position: a recomputation reads a million rows). Locations are added by the caller.
    init(inventoryRow row: Row, offset: Int = 0) throws {
        func text(_ i: Int) -> String? { row[offset + i] }
        func date(_ i: Int) -> Date? { (row[offset + i] as Int64?).map(StoredDate.decode) }
        guard let id = text(0), let kindText = text(1), let kind = Kind(rawValue: kindText), let fingerprint = text(2),
            let statusText = text(10), let status = Status(rawValue: statusText)
        else {
            throw StoreError.corrupt("inventory item '\(text(0) ?? "?")': kind, fingerprint or status unreadable")
        }
        var certificate: CertificateFacts?
        if let subject = text(20), let notBefore = date(24), let notAfter = date(25) {
            certificate = CertificateFacts(
                subject: subject, issuer: text(21) ?? "", serial: text(22) ?? "",
                sans: StoredList.decode(text(23) ?? ""), notBefore: notBefore, notAfter: notAfter,
                signatureAlgorithm: text(26) ?? "", selfSigned: (row[offset + 27] as Bool?) ?? false,
                isCA: (row[offset + 28] as Bool?) ?? false)
        }
        self.init(
            kind: kind, fingerprint: fingerprint, preview: text(3), detector: text(4), locations: [],
            owner: text(6), purpose: text(8), environment: text(9), created: date(13), expires: date(14),
            lastUsed: date(15), algorithm: text(18), keySize: row[offset + 19], certificate: certificate,
            privileges: StoredList.decode(text(29) ?? ""), managedBySignet: (row[offset + 11] as Bool?) ?? false,
            encrypted: (row[offset + 12] as Bool?) ?? false, status: status, name: text(5),
            attributes: StoredList.decodeAttributes(text(31) ?? ""), notes: StoredList.decode(text(30) ?? ""),
            ownerSource: text(7))
        self.id = id
    }
}

extension InventoryItem.Location {
    /// Columns `type, target, line, commit_id, col, first_seen, last_seen` starting at `offset`.
    init(locationRow row: Row, offset: Int = 0) {
        let line: Int = row[offset + 2] ?? 0
        let commit: String = row[offset + 3] ?? ""
        let column: Int = row[offset + 4] ?? 0
        self.init(
            type: row[offset] ?? "", target: row[offset + 1] ?? "", line: line == 0 ? nil : line,
            column: column == 0 ? nil : column, commit: commit.isEmpty ? nil : commit,
            firstSeen: StoredDate.decode(row[offset + 5] ?? 0), lastSeen: StoredDate.decode(row[offset + 6] ?? 0))
    }

    static let columns = "type, target, line, commit_id, col, first_seen, last_seen"

    func bindLocation(_ b: inout RawBinding, itemSeq: Int64) {
        b.int(itemSeq); b.text(type); b.text(target); b.int(line ?? 0); b.text(commit ?? ""); b.int(column ?? 0)
        b.date(firstSeen); b.date(lastSeen)
    }

}
