import Foundation
import Testing

@testable import SignetCore

@Suite("Inventory items")
struct InventoryItemTests {
    static let t0 = Date(timeIntervalSince1970: 1_700_000_000)

    @Test("the id depends on kind and fingerprint only, so sightings in different places are one item")
    func stableID() {
        let a = InventoryItem(
            kind: .privateKey, fingerprint: "sha256:ab", locations: [.init(type: "file", target: "/a", firstSeen: Self.t0)])
        let b = InventoryItem(
            kind: .privateKey, fingerprint: "sha256:ab", locations: [.init(type: "git", target: "repo", firstSeen: Self.t0)])
        let c = InventoryItem(
            kind: .x509Certificate, fingerprint: "sha256:ab", locations: [])
        #expect(a.id == b.id)
        #expect(a.id != c.id)
    }

    @Test("merging unites locations and widens each one's first/last seen")
    func merge() {
        var item = InventoryItem(
            kind: .apiToken, fingerprint: "hmac-sha256:01", preview: "ghp_…abcd",
            locations: [.init(type: "file", target: "/srv/app/.env", line: 3, firstSeen: Self.t0)])
        let later = Self.t0.addingTimeInterval(3600)
        let earlier = Self.t0.addingTimeInterval(-60)
        item.merge(
            InventoryItem(
                kind: .apiToken, fingerprint: "hmac-sha256:01",
                locations: [
                    .init(type: "file", target: "/srv/app/.env", line: 3, firstSeen: earlier, lastSeen: later),
                    .init(type: "file", target: "/srv/app/.env", line: 9, firstSeen: later),
                    .init(type: "git", target: "git@example.org:acme/app", line: 3, commit: "abc123", firstSeen: later),
                ]))
        #expect(item.locations.count == 3)
        #expect(item.locations[0].firstSeen == earlier)
        #expect(item.locations[0].lastSeen == later)
        #expect(item.preview == "ghp_…abcd")
    }

    @Test("JSON uses snake_case keys and round-trips")
    func json() throws {
        let item = InventoryItem(
            kind: .x509Certificate, fingerprint: "sha256:ff",
            locations: [.init(type: "tls", target: "127.0.0.1:443", firstSeen: Self.t0)], expires: Self.t0,
            algorithm: "EC", keySize: 256,
            certificate: .init(
                subject: "CN=x", issuer: "CN=x", serial: "01", sans: ["x"], notBefore: Self.t0, notAfter: Self.t0,
                signatureAlgorithm: "ecdsa-with-SHA256", selfSigned: true, isCA: false))
        let data = try JSONEncoder().encode(item)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"key_size\":256"))
        #expect(text.contains("\"self_signed\":true"))
        #expect(try JSONDecoder().decode(InventoryItem.self, from: data) == item)
    }
}
