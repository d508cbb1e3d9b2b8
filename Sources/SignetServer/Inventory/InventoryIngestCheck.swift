import Foundation
import SignetCore

/// What an uploaded sighting may claim. Scanners and importers are admins, but what they send is
/// still input: an item is refused whole (and the upload with it) rather than stored half-checked.
enum InventoryIngestCheck {
    static let maxItems = 10_000
    static let maxLocations = 1_000
    static let maxText = 4_096
    static let maxPreview = 64
    static let locationTypes: Set<String> = ["file", "git", "tls", "account", "import"]

    /// The item as it will be stored: id recomputed from kind and fingerprint, owner marked as
    /// coming from the source, no risk score or management flag taken from the client.
    static func checked(_ item: InventoryItem, index: Int) throws -> InventoryItem {
        func fail(_ message: String) -> APIError { APIError.badRequest("items[\(index)]: \(message)") }
        if item.kind == .signetSVID || item.managedBySignet {
            throw fail("signet-svid items and managed_by_signet are recorded by the server when it issues; they cannot be uploaded")
        }
        guard isFingerprint(item.fingerprint) else {
            throw fail("fingerprint must be sha256:<64 hex> (public part) or hmac-sha256:<64 hex> (secret), got '\(item.fingerprint.prefix(80))'")
        }
        guard !item.locations.isEmpty, item.locations.count <= maxLocations else {
            throw fail("an item needs 1 to \(maxLocations) locations (where it was seen)")
        }
        for location in item.locations {
            guard locationTypes.contains(location.type) else {
                throw fail("location type '\(location.type.prefix(40))' is not one of \(locationTypes.sorted().joined(separator: ", "))")
            }
            guard !location.target.isEmpty, location.target.utf8.count <= maxText else {
                throw fail("a location target must be 1 to \(maxText) bytes")
            }
            if let commit = location.commit, commit.utf8.count > 64 || !commit.allSatisfy(\.isHexDigit) {
                throw fail("a location commit must be a hex object id")
            }
            if (location.line ?? 0) < 0 || (location.column ?? 0) < 0 { throw fail("line and column must not be negative") }
        }
        if let preview = item.preview, preview.count > maxPreview {
            throw fail("preview is longer than \(maxPreview) characters; send a redacted preview (such as AKIA…XYZ4), never the secret")
        }
        let texts = [item.detector, item.owner, item.purpose, item.environment, item.name, item.algorithm]
            .compactMap { $0 } + item.privileges + item.notes + Array(item.attributes.keys) + Array(item.attributes.values)
        if texts.contains(where: { $0.utf8.count > maxText }) { throw fail("a text field is longer than \(maxText) bytes") }
        if item.privileges.count > 1_000 || item.notes.count > 100 || item.attributes.count > 100 {
            throw fail("at most 1000 privileges, 100 notes and 100 attributes")
        }
        if let owner = item.owner, owner.isEmpty || owner.utf8.count > 128 { throw fail("owner must be 1 to 128 bytes") }
        var result = item
        result.id = InventoryItem.stableID(kind: item.kind, fingerprint: item.fingerprint)
        result.ownerSource = item.owner == nil ? nil : "source"
        result.riskScore = 0
        return result
    }

    static func isFingerprint(_ text: String) -> Bool {
        let hex: Substring
        if text.hasPrefix("sha256:") {
            hex = text.dropFirst(7)
        } else if text.hasPrefix("hmac-sha256:") {
            hex = text.dropFirst(12)
        } else {
            return false
        }
        return hex.utf8.count == 64 && hex.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}
