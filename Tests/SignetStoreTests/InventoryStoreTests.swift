import Foundation
import SignetCore
import Testing

@testable import SignetStore

@Suite("Inventory store")
struct InventoryStoreTests {
    static let hexA = String(repeating: "a", count: 64)
    static let hexB = String(repeating: "b", count: 64)

    static func certificate(_ hex: String = hexA, at target: String = "/etc/ssl/a.pem", line: Int? = 1,
                            seen: Int64 = 0, owner: String? = nil) -> InventoryItem {
        InventoryItem(
            kind: .x509Certificate, fingerprint: "sha256:" + hex,
            locations: [.init(type: "file", target: target, line: line, firstSeen: Fixture.time(seen))],
            owner: owner, expires: Fixture.time(86_400_000 * 10), algorithm: "EC", keySize: 256,
            certificate: .init(
                subject: "CN=api", issuer: "CN=ca", serial: "0f", sans: ["api.example.org", "10.0.0.1"],
                notBefore: Fixture.time(-86_400_000), notAfter: Fixture.time(86_400_000 * 10),
                signatureAlgorithm: "ecdsa-with-SHA256", selfSigned: false, isCA: false),
            attributes: ["namespace": "payments", "odd\u{1E}key": "va\u{1F}lue"], notes: ["world-readable"])
    }

    static func secret(_ hex: String, owner: String? = nil, ownerSource: String? = nil, expires: Date? = nil,
                       target: String = "/srv/app/.env") -> InventoryItem {
        InventoryItem(
            kind: .apiToken, fingerprint: "hmac-sha256:" + hex, preview: "ghp_…abcd", detector: "github-pat",
            locations: [.init(type: "file", target: target, line: 3, firstSeen: Fixture.base)], owner: owner,
            expires: expires, ownerSource: ownerSource)
    }

    static func ingest(_ store: SQLiteStore, _ items: [InventoryItem], actor: String = "scanner") async throws
        -> InventoryIngestSummary
    {
        try await store.ingestInventory(items, actor: actor) { summary in
            AuditEvent(actor: actor, action: "inventory.ingest", subject: "test", outcome: .success,
                       details: ["created": "\(summary.created)"])
        }
    }

    @Test("an ingested item reads back with every fact, list-valued ones included")
    func roundTrip() async throws {
        let store = try SQLiteStore.inMemory()
        let item = Self.certificate()
        let summary = try await Self.ingest(store, [item])
        #expect(summary == InventoryIngestSummary(received: 1, created: 1, updated: 0, ownersAssigned: 0))
        let read = try #require(try await store.inventoryItem(id: item.id))
        #expect(read.certificate == item.certificate)
        #expect(read.locations == item.locations)
        #expect(read.notes == ["world-readable"])
        // Separators inside values cannot split an attribute.
        #expect(read.attributes == ["namespace": "payments", "odd\u{FFFD}key": "va\u{FFFD}lue"])
        #expect(read.keySize == 256 && read.algorithm == "EC" && read.expires == item.expires)
        let events = try await store.listEvents(EventQuery(action: "inventory.ingest"))
        #expect(events.count == 1 && events[0].details["created"] == "1")
    }

    @Test("the same credential seen in two places, in two uploads and within one, is one item with both locations")
    func deduplication() async throws {
        let store = try SQLiteStore.inMemory()
        _ = try await Self.ingest(store, [Self.certificate(at: "/a.pem", seen: 1_000)])
        let summary = try await Self.ingest(
            store, [Self.certificate(at: "/b.pem", seen: 5_000), Self.certificate(at: "/c.pem", seen: 500)])
        #expect(summary.created == 0 && summary.updated == 1 && summary.received == 2)
        let item = try #require(try await store.inventoryItem(id: Self.certificate().id))
        #expect(Set(item.locations.map(\.target)) == ["/a.pem", "/b.pem", "/c.pem"])
        #expect(item.firstSeen == Fixture.time(500))
        #expect(try await store.countInventory() == 1)
        // Seeing it again at a known place only widens that place's last-seen.
        _ = try await Self.ingest(store, [Self.certificate(at: "/a.pem", seen: 9_000)])
        let again = try #require(try await store.inventoryItem(id: item.id))
        #expect(again.locations.count == 3)
        let a = try #require(again.locations.first { $0.target == "/a.pem" })
        #expect(a.firstSeen == Fixture.time(1_000) && a.lastSeen == Fixture.time(9_000))
    }

    @Test("a manual owner survives ingest; a rule's owner yields to the source's; changes are history")
    func ownerPrecedence() async throws {
        let store = try SQLiteStore.inMemory()
        let id = Self.secret(Self.hexA).id
        _ = try await Self.ingest(store, [Self.secret(Self.hexA, owner: "platform", ownerSource: "rule:r1")])
        _ = try await Self.ingest(store, [Self.secret(Self.hexA, owner: "payments", ownerSource: "source")])
        #expect(try await store.inventoryItem(id: id)?.owner == "payments")
        // A rule does not replace what the source said.
        _ = try await Self.ingest(store, [Self.secret(Self.hexA, owner: "platform", ownerSource: "rule:r1")])
        #expect(try await store.inventoryItem(id: id)?.owner == "payments")
        _ = try await store.assignInventoryOwner(
            itemID: id, owner: "identity", actor: "alice", event: Fixture.event("inventory.assign"))
        _ = try await Self.ingest(store, [Self.secret(Self.hexA, owner: "payments", ownerSource: "source")])
        let item = try #require(try await store.inventoryItem(id: id))
        #expect(item.owner == "identity" && item.ownerSource == "manual")
        let history = try await store.inventoryHistory(id: id)
        #expect(history.map(\.detail) == ["platform -> payments (source)", "payments -> identity (manual)"])
        #expect(history.last?.actor == "alice")
        await Fixture.expectError(.notFound("inventory item 'nope'")) {
            _ = try await store.assignInventoryOwner(itemID: "nope", owner: "x", actor: "a", event: Fixture.event("x"))
        }
    }

    @Test("list filters by owner (or unowned), kind, effective status and expiry window, with keyset pages")
    func list() async throws {
        let store = try SQLiteStore.inMemory()
        let now = Fixture.time(0)
        let day: Int64 = 86_400_000
        var items: [InventoryItem] = [Self.certificate()]
        for n in 0..<6 {
            let owned = n < 4
            let expires: Date = Fixture.time(Int64(n * 10 - 5) * day)
            let hex = String(repeating: String(n), count: 64)
            items.append(Self.secret(hex, owner: owned ? "payments" : nil, ownerSource: owned ? "source" : nil, expires: expires))
        }
        _ = try await Self.ingest(store, items)
        func ids(_ query: InventoryQuery) async throws -> [String] {
            try await store.listInventory(query).map { String($0.fingerprint.suffix(1)) }
        }
        // Expiring within 30 days, owner payments: n=1 (5d), n=2 (15d), n=3 (25d) soonest first; n=0 already expired.
        #expect(try await ids(InventoryQuery(owner: "payments", expiringBefore: now.addingTimeInterval(30 * 86400), now: now)) == ["1", "2", "3"])
        #expect(try await ids(InventoryQuery(owner: InventoryQuery.unowned, now: now)) == ["4", "5", "a"])
        #expect(try await ids(InventoryQuery(status: .expired, now: now)) == ["0"])
        #expect(try await ids(InventoryQuery(kind: .x509Certificate, now: now)) == ["a"])
        let first = try await store.listInventory(InventoryQuery(now: now, limit: 4))
        let rest = try await store.listInventory(InventoryQuery(now: now, limit: 10, after: first.last?.id))
        #expect(first.count == 4 && rest.count == 3)
        #expect(Set(first.map(\.id) + rest.map(\.id)).count == 7)
    }

    @Test("an issued credential joins the inventory, owned by its entry's owner and managed by Signet")
    func issuedCredentials() async throws {
        let store = try SQLiteStore.inMemory()
        var entry = Fixture.entry(id: "entry-1")
        entry.owner = "payments"
        try await store.createEntry(entry, event: Fixture.event("entry.create"))
        let credential = Fixture.credential(serial: "0a1b")
        try await store.recordIssuance(credential, event: Fixture.event("svid.x509.issue"))
        let jwt = Fixture.credential(serial: "jti-9", kind: .jwtSVID)
        try await store.recordIssuance(jwt, event: Fixture.event("svid.jwt.issue"))
        let managed = try await store.listInventory(InventoryQuery(managedBySignet: true, now: Fixture.base))
        #expect(managed.count == 2)
        let x509 = try #require(managed.first { $0.fingerprint == "sha256:" + credential.publicKeyFingerprint })
        #expect(x509.kind == .signetSVID && x509.owner == "payments" && x509.ownerSource == "signet")
        #expect(x509.attributes["spiffe_id"] == "spiffe://example.org/prod/payments/api")
        #expect(x509.expires == credential.notAfter && x509.locations.first?.type == "signet")
        #expect(managed.contains { $0.fingerprint == "jti:jti-9" })
        // A renewal of the same key is the same item with the later expiry.
        var renewal = Fixture.credential(serial: "0a1c", issuedAt: 60_000)
        renewal.notAfter = Fixture.time(7_200_000)
        try await store.recordIssuance(renewal, event: Fixture.event("svid.x509.issue"))
        #expect(try await store.inventoryItem(id: x509.id)?.expires == Fixture.time(7_200_000))
        #expect(try await store.countInventory() == 2)
    }

    @Test("recomputation keeps first-detected, drops findings no longer raised, and tracks staleness")
    func findings() async throws {
        let store = try SQLiteStore.inMemory()
        #expect(try await store.findingsFreshness().stale)
        _ = try await Self.ingest(store, [Self.secret(Self.hexA), Self.secret(Self.hexB, owner: "payments", ownerSource: "source")])
        let evaluate: @Sendable (InventoryItem) -> [Finding] = { item in
            item.owner == nil
                ? [Finding(rule: .noOwner, severity: .medium, itemID: item.id, owner: nil, title: "no owner",
                           evidence: "owner is empty", fix: "assign", location: item.locations.first)]
                : []
        }
        let event: @Sendable (FindingsRecomputation) -> AuditEvent = { _ in Fixture.event("findings.recompute") }
        let first = try await store.recomputeFindings(now: Fixture.time(1_000), evaluate: evaluate, event: event)
        #expect(first.itemsEvaluated == 2 && first.findings == 1 && first.bySeverity == ["medium": 1])
        #expect(try await store.findingsFreshness().stale == false)
        _ = try await store.recomputeFindings(now: Fixture.time(2_000), evaluate: evaluate, event: event)
        let stored = try await store.listFindings(FindingQuery())
        #expect(stored.count == 1)
        #expect(stored[0].firstDetected == Fixture.time(1_000) && stored[0].computedAt == Fixture.time(2_000))
        #expect(stored[0].finding.location?.target == "/srv/app/.env")
        #expect(try await store.riskScores(itemIDs: [Self.secret(Self.hexA).id]) == [Self.secret(Self.hexA).id: 5])
        // Assigning an owner makes findings stale; the next recomputation drops the finding.
        _ = try await store.assignInventoryOwner(
            itemID: Self.secret(Self.hexA).id, owner: "payments", actor: "alice", event: Fixture.event("inventory.assign"))
        #expect(try await store.findingsFreshness().stale)
        let third = try await store.recomputeFindings(now: Fixture.time(3_000), evaluate: evaluate, event: event)
        #expect(third.findings == 0)
        #expect(try await store.listFindings(FindingQuery()).isEmpty)
        #expect(try await store.listEvents(EventQuery(action: "findings.recompute")).count == 3)
    }

    @Test("findings filter by minimum severity, owner, rule and item")
    func findingFilters() async throws {
        let store = try SQLiteStore.inMemory()
        _ = try await Self.ingest(store, [Self.secret(Self.hexA, owner: "payments", ownerSource: "source"), Self.secret(Self.hexB)])
        let evaluate: @Sendable (InventoryItem) -> [Finding] = { item in
            [Finding(rule: .hardCodedSecret, severity: item.owner == nil ? .critical : .low, itemID: item.id,
                     owner: item.owner, title: "t", evidence: "e", fix: "f")]
        }
        _ = try await store.recomputeFindings(now: Fixture.base, evaluate: evaluate, event: { _ in Fixture.event("r") })
        #expect(try await store.listFindings(FindingQuery(minimumSeverity: .high)).map(\.finding.severity) == [.critical])
        #expect(try await store.listFindings(FindingQuery(owner: "payments")).map(\.finding.severity) == [.low])
        #expect(try await store.listFindings(FindingQuery(owner: InventoryQuery.unowned)).count == 1)
        #expect(try await store.listFindings(FindingQuery(rule: .expired)).isEmpty)
        #expect(try await store.listFindings(FindingQuery(itemID: Self.secret(Self.hexB).id)).count == 1)
    }

    @Test("a team used by an ownership rule cannot be deleted; a rule needs a registered team")
    func teams() async throws {
        let store = try SQLiteStore.inMemory()
        let rule = try OwnershipRule(id: "r1", field: .namespace, pattern: "payments-*", team: "payments")
        await Fixture.expectError(.notFound("team 'payments' (create it with `signet team add payments`)")) {
            try await store.createOwnershipRule(rule, event: Fixture.event("ownership.rule.create"))
        }
        try await store.createTeam(try Team(name: "payments"), event: Fixture.event("team.create"))
        await Fixture.expectError(.conflict("a team named 'payments' already exists")) {
            try await store.createTeam(try Team(name: "payments"), event: Fixture.event("team.create"))
        }
        try await store.createOwnershipRule(rule, event: Fixture.event("ownership.rule.create"))
        await Fixture.expectError(
            .conflict("ownership rules r1 assign items to team 'payments'; delete them first")
        ) { _ = try await store.deleteTeam(name: "payments", event: Fixture.event("team.delete")) }
        #expect(try await store.listOwnershipRules().map(\.id) == ["r1"])
        _ = try await store.deleteOwnershipRule(id: "r1", event: Fixture.event("ownership.rule.delete"))
        _ = try await store.deleteTeam(name: "payments", event: Fixture.event("team.delete"))
        #expect(try await store.listTeams().isEmpty)
    }
}
