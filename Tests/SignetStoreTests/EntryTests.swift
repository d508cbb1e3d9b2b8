import Foundation
import SignetCore
import Testing

@testable import SignetStore

@Suite("Registration entries")
struct EntryTests {
    let store: SQLiteStore

    init() throws {
        store = try SQLiteStore.inMemory()
    }

    @Test("every field round-trips through create, read and list")
    func roundTrip() async throws {
        let full = Fixture.entry(id: "e-full")
        var bare = RegistrationEntry(
            id: "e-bare", spiffeID: Fixture.id("spiffe://example.org/dev/x"), x509TTL: 60, jwtTTL: 30,
            owner: "o", purpose: "p", createdBy: "system", createdAt: Fixture.base)
        bare.selectors = []
        try await store.createEntry(full, event: Fixture.event("entry.create", subject: full.id))
        try await store.createEntry(bare, event: Fixture.event("entry.create", subject: bare.id))

        #expect(try await store.entry(id: "e-full") == full)
        #expect(try await store.entry(id: "e-bare") == bare)
        #expect(try await store.entry(id: "missing") == nil)
        #expect(try await store.entries(spiffeID: full.spiffeID) == [full])
        #expect(try await store.listEntries(EntryQuery()) == [bare, full])
    }

    @Test("update replaces every field and the selector index")
    func update() async throws {
        let original = Fixture.entry(id: "e1")
        try await store.createEntry(original, event: Fixture.event("entry.create"))

        var changed = original
        changed.spiffeID = Fixture.id("spiffe://example.org/staging/payments/api")
        changed.parentID = nil
        changed.selectors = [Fixture.selector("docker:label:app=pay")]
        changed.x509TTL = 1800
        changed.jwtTTL = 120
        changed.dnsNames = []
        changed.owner = "team-ledger"
        changed.purpose = "moved"
        changed.environment = nil
        changed.expiresAt = nil
        changed.createdBy = "someone"
        changed.createdAt = Fixture.time(1_000)
        changed.updatedAt = Fixture.time(2_001)
        changed.revision = 4
        try await store.updateEntry(changed, event: Fixture.event("entry.update"))

        #expect(try await store.entry(id: "e1") == changed)
        #expect(try await store.listEntries(EntryQuery(selector: Fixture.selector("unix:uid:1000"))).isEmpty)
        #expect(try await store.listEntries(EntryQuery(selector: Fixture.selector("docker:label:app=pay"))) == [changed])
        #expect(try await store.entries(spiffeID: original.spiffeID).isEmpty)
    }

    @Test("delete returns the entry and removes it with its selectors")
    func delete() async throws {
        let entry = Fixture.entry(id: "e1")
        try await store.createEntry(entry, event: Fixture.event("entry.create"))
        let deleted = try await store.deleteEntry(id: "e1", event: Fixture.event("entry.delete"))
        #expect(deleted == entry)
        #expect(try await store.entry(id: "e1") == nil)
        #expect(try await store.listEntries(EntryQuery(selector: Fixture.selector("unix:uid:1000"))).isEmpty)
        let selectorRows = try await store.writer.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM entry_selectors")
        }
        #expect(selectorRows == 0)
    }

    @Test("same SPIFFE ID, parent and selectors is a conflict naming the existing entry")
    func identityConflict() async throws {
        try await store.createEntry(Fixture.entry(id: "first"), event: Fixture.event("entry.create"))
        // Same set of selectors in another order, another id.
        let twin = Fixture.entry(id: "second", selectors: ["k8s:ns:payments", "unix:uid:1000"])
        let message = await Fixture.conflictMessage {
            try await store.createEntry(twin, event: Fixture.event("entry.create"))
        }
        #expect(message?.contains("'first'") == true)
        #expect(try await store.entry(id: "second") == nil)

        // Any one difference makes it a different entry.
        try await store.createEntry(
            Fixture.entry(id: "other-parent", parentID: "spiffe://example.org/agent/node-2"),
            event: Fixture.event("entry.create"))
        try await store.createEntry(
            Fixture.entry(id: "other-selectors", selectors: ["unix:uid:1000"]), event: Fixture.event("entry.create"))
        try await store.createEntry(
            Fixture.entry(id: "other-id", spiffeID: "spiffe://example.org/prod/payments/worker"),
            event: Fixture.event("entry.create"))
    }

    @Test("two parentless entries with the same ID and selectors conflict (NULL parents are equal)")
    func nullParentConflict() async throws {
        try await store.createEntry(Fixture.entry(id: "a", parentID: nil), event: Fixture.event("entry.create"))
        let message = await Fixture.conflictMessage {
            try await store.createEntry(Fixture.entry(id: "b", parentID: nil), event: Fixture.event("entry.create"))
        }
        #expect(message?.contains("'a'") == true)
    }

    @Test("a taken id is a conflict")
    func idConflict() async throws {
        try await store.createEntry(Fixture.entry(id: "a"), event: Fixture.event("entry.create"))
        let message = await Fixture.conflictMessage {
            try await store.createEntry(
                Fixture.entry(id: "a", spiffeID: "spiffe://example.org/other"), event: Fixture.event("entry.create"))
        }
        #expect(message?.contains("'a'") == true)
    }

    @Test("updating an entry onto another entry's identity is a conflict and changes nothing")
    func updateConflict() async throws {
        let a = Fixture.entry(id: "a")
        let b = Fixture.entry(id: "b", selectors: ["unix:uid:2000"])
        try await store.createEntry(a, event: Fixture.event("entry.create"))
        try await store.createEntry(b, event: Fixture.event("entry.create"))
        var moved = b
        moved.selectors = a.selectors
        let message = await Fixture.conflictMessage {
            try await store.updateEntry(moved, event: Fixture.event("entry.update"))
        }
        #expect(message?.contains("'a'") == true)
        #expect(try await store.entry(id: "b") == b)

        // Updating an entry without changing its identity is not a conflict with itself.
        var renamed = a
        renamed.purpose = "new purpose"
        try await store.updateEntry(renamed, event: Fixture.event("entry.update"))
        #expect(try await store.entry(id: "a") == renamed)
    }

    @Test("update and delete of a missing entry throw notFound")
    func notFound() async throws {
        await Fixture.expectError(.notFound("entry 'ghost'")) {
            try await store.updateEntry(Fixture.entry(id: "ghost"), event: Fixture.event("entry.update"))
        }
        await Fixture.expectError(.notFound("entry 'ghost'")) {
            try await store.deleteEntry(id: "ghost", event: Fixture.event("entry.delete"))
        }
        #expect(try await store.listEvents(EventQuery()).isEmpty)
    }

    @Test("selectors are a set: read back sorted, without duplicates")
    func selectorsCanonical() async throws {
        var entry = Fixture.entry(id: "a")
        entry.selectors = ["unix:uid:1", "k8s:ns:x", "unix:uid:1"].map(Fixture.selector)
        try await store.createEntry(entry, event: Fixture.event("entry.create"))
        let stored = try await store.entry(id: "a")
        #expect(stored?.selectors.map(\.description) == ["k8s:ns:x", "unix:uid:1"])
    }
}
