import Foundation
import SignetCore

/// Reads `spire-server entry show -output json`: `{"entries": [...], "next_page_token": ...}` in
/// protobuf's JSON mapping (64-bit integers such as `expires_at` and `created_at` as strings).
///
/// Each registration entry becomes a `signet-entry` item fingerprinted `sha256:` + hex SHA-256 of
/// `spire-entry:<id>`, named by its SPIFFE ID, located at `account` / `spire:<entry id>`, created at
/// `created_at` (Unix seconds) and expiring at `expires_at` when non-zero. Attributes: `spiffe_id`,
/// `parent_id`, `selectors` (`type:value`, comma-joined), `x509_svid_ttl`, `jwt_svid_ttl`, `admin`,
/// `downstream`, `federates_with`, `dns_names`, `store_svid`, `hint`. `privileges` holds `spire:admin`
/// (the entry's SVIDs may call the server's management APIs) and `spire:downstream` (it may mint SVIDs
/// as a nested SPIRE server).
struct SPIREEntryImporter {
    static let expected = "the output of spire-server entry show -output json ({\"entries\": [...]})"

    static func looksLike(_ object: [String: JSONValue]) -> Bool {
        guard let entries = object["entries"]?.arrayValue else { return false }
        return entries.first.map { $0.objectValue?["spiffe_id"] != nil } ?? true
    }

    func parse(_ root: JSONNode, context: inout ImportContext) throws(ImportError) -> ImportOutput {
        guard let object = root.object, object["entries"]?.arrayValue != nil else {
            throw root.error("entries", "missing or not an array", expected: Self.expected)
        }
        var items: [InventoryItem] = []
        let entries = try root.array("entries").enumerated().map { JSONNode($1.value, path: "entries[\($0)]") }
        for var entry in entries {
            _ = try entry.requireObject("a registration entry object")
            let id = try entry.requiredString("id", expected: "the entry id")
            entry.label = "entry " + id
            let spiffeID = try Self.spiffeID(entry, "spiffe_id")
            var attributes = ["spiffe_id": spiffeID]
            if entry.child("parent_id") != nil { attributes["parent_id"] = try Self.spiffeID(entry, "parent_id") }
            var selectors: [String] = []
            for selector in try entry.array("selectors") {
                let type = try selector.requiredString("type", expected: "the selector type")
                selectors.append(type + ":" + (try selector.string("value") ?? ""))
            }
            attributes["selectors"] = selectors.joined(separator: ",")
            for key in ["x509_svid_ttl", "jwt_svid_ttl"] {
                if let ttl = try entry.integer(key) { attributes[key] = String(ttl) }
            }
            let admin = try entry.bool("admin") ?? false
            let downstream = try entry.bool("downstream") ?? false
            attributes["admin"] = String(admin)
            attributes["downstream"] = String(downstream)
            let federates = try entry.strings("federates_with")
            if !federates.isEmpty { attributes["federates_with"] = federates.joined(separator: ",") }
            let dnsNames = try entry.strings("dns_names")
            if !dnsNames.isEmpty { attributes["dns_names"] = dnsNames.joined(separator: ",") }
            if try entry.bool("store_svid") == true { attributes["store_svid"] = "true" }
            if let hint = try entry.string("hint"), !hint.isEmpty { attributes["hint"] = hint }

            let created = try Self.unixTime(entry, "created_at")
            let expires = try Self.unixTime(entry, "expires_at")
            items.append(InventoryItem(
                kind: .signetEntry, fingerprint: ReferenceFingerprint.of("spire-entry", id), detector: context.detector,
                locations: [context.account("spire:" + id)], created: created, expires: expires,
                privileges: (admin ? ["spire:admin"] : []) + (downstream ? ["spire:downstream"] : []), name: spiffeID,
                attributes: attributes))
        }
        return (items, entries.count)
    }

    /// `{"trust_domain": "example.org", "path": "/web"}` as `spiffe://example.org/web`.
    private static func spiffeID(_ entry: JSONNode, _ key: String) throws(ImportError) -> String {
        guard let id = entry.child(key) else {
            throw entry.error(key, "missing", expected: "a SPIFFE ID object {\"trust_domain\", \"path\"}")
        }
        let domain = try id.requiredString("trust_domain", expected: "the SPIFFE ID's trust domain")
        let path = try id.string("path") ?? ""
        guard path.isEmpty || path.hasPrefix("/") else {
            throw id.error(
                "path", "path \(ImportError.quote(path)) does not start with /",
                expected: "a SPIFFE ID path such as /ns/web")
        }
        return "spiffe://" + domain + path
    }

    /// A Unix time in seconds; zero (SPIRE's "unset") is nil.
    private static func unixTime(_ entry: JSONNode, _ key: String) throws(ImportError) -> Date? {
        guard let seconds = try entry.integer(key), seconds > 0 else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }
}
