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

    @Test("merging never lets a rule's owner replace a source's, nor anything replace a manual owner")
    func ownerPrecedence() {
        func token(_ owner: String?, _ source: String?) -> InventoryItem {
            InventoryItem(
                kind: .apiToken, fingerprint: "hmac-sha256:01",
                locations: [.init(type: "file", target: "/a", firstSeen: Self.t0)], owner: owner, ownerSource: source)
        }
        var item = token("payments", "source")
        item.merge(token("platform", "rule:r1"))
        #expect(item.owner == "payments" && item.ownerSource == "source")
        item.merge(token("billing", "source"))
        #expect(item.owner == "billing")
        var manual = token("identity", "manual")
        manual.merge(token("billing", "source"))
        #expect(manual.owner == "identity" && manual.ownerSource == "manual")
        var unowned = token(nil, nil)
        unowned.merge(token("platform", "rule:r1"))
        #expect(unowned.owner == "platform" && unowned.ownerSource == "rule:r1")
        #expect(InventoryItem.ownerRank("manual") > InventoryItem.ownerRank("signet"))
        #expect(InventoryItem.ownerRank("signet") > InventoryItem.ownerRank("rule:x"))
    }

    @Test("an active certificate past its notAfter is expired even without an expires fact")
    func effectiveStatus() {
        var item = InventoryItem(
            kind: .x509Certificate, fingerprint: "sha256:ff", locations: [],
            certificate: .init(
                subject: "CN=x", issuer: "CN=x", serial: "01", sans: [], notBefore: Self.t0, notAfter: Self.t0,
                signatureAlgorithm: "ecdsa-with-SHA256", selfSigned: true, isCA: false))
        #expect(item.effectiveStatus(at: Self.t0.addingTimeInterval(1)) == .expired)
        #expect(item.effectiveStatus(at: Self.t0.addingTimeInterval(-1)) == .active)
        item.status = .retired
        #expect(item.effectiveStatus(at: Self.t0.addingTimeInterval(1)) == .retired)
    }
}
