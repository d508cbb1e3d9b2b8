import Foundation
import SignetCore
import Testing

@testable import SignetStore

@Suite("Audit events and meta")
struct EventTests {
    let store: SQLiteStore

    init() throws {
        store = try SQLiteStore.inMemory()
    }

    @Test("each change appends its event; a failed change appends none")
    func eventsFollowChanges() async throws {
        var entry = Fixture.entry(id: "e1")
        try await store.createEntry(entry, event: Fixture.event("entry.create", subject: "e1"))
        entry.purpose = "changed"
        try await store.updateEntry(entry, event: Fixture.event("entry.update", subject: "e1"))
        try await store.recordIssuance(
            Fixture.credential(serial: "01"), event: Fixture.event("svid.x509.issue", subject: "01"))
        try await store.setMeta("trust_domain", to: "example.org", event: Fixture.event("meta.set", subject: "td"))
        try await store.deleteEntry(id: "e1", event: Fixture.event("entry.delete", subject: "e1"))

        // Each of these fails and must leave no trace in the log.
        _ = await Fixture.conflictMessage {
            try await store.createEntry(Fixture.entry(id: "x"), event: Fixture.event("entry.create", subject: "x"))
            try await store.createEntry(Fixture.entry(id: "y"), event: Fixture.event("entry.create", subject: "y"))
        }
        await Fixture.expectError(.notFound("entry 'e1'")) {
            try await store.updateEntry(entry, event: Fixture.event("entry.update", subject: "e1"))
        }
        await Fixture.expectError(.notFound("entry 'e1'")) {
            try await store.deleteEntry(id: "e1", event: Fixture.event("entry.delete", subject: "e1"))
        }
        _ = await Fixture.conflictMessage {
            try await store.recordIssuance(
                Fixture.credential(serial: "01"), event: Fixture.event("svid.x509.issue", subject: "01-again"))
        }

        let events = try await store.listEvents(EventQuery())
        #expect(events.map(\.action) == [
            "entry.create", "entry.update", "svid.x509.issue", "meta.set", "entry.delete", "entry.create",
        ])
        #expect(events.map(\.subject) == ["e1", "e1", "01", "td", "e1", "x"])
        #expect(events.map(\.sequence) == Array(1...6))
    }

    @Test("an event round-trips with its sequence set")
    func roundTrip() async throws {
        var event = AuditEvent(
            time: Fixture.base, actor: "anonymous", action: "svid.x509.issue", subject: "spiffe://example.org/x",
            outcome: .denied, reason: "no entry matches", details: ["remote": "10.0.0.1:443", "selectors": "a,b"])
        try await store.appendEvent(event)
        event.sequence = 1
        #expect(try await store.listEvents(EventQuery()) == [event])

        var bare = AuditEvent(actor: "system", action: "server.start", subject: "", outcome: .failure)
        bare.time = Fixture.base
        try await store.appendEvent(bare)
        bare.sequence = 2
        #expect(try await store.listEvents(EventQuery(afterSequence: 1)) == [bare])
    }

    @Test("afterSequence is exclusive; action and limit filter")
    func query() async throws {
        for index in 1...10 {
            try await store.appendEvent(Fixture.event(index.isMultiple(of: 2) ? "even" : "odd", subject: "\(index)"))
        }
        #expect(try await store.listEvents(EventQuery(afterSequence: 7)).map(\.sequence) == [8, 9, 10])
        #expect(try await store.listEvents(EventQuery(afterSequence: 10)).isEmpty)
        #expect(try await store.listEvents(EventQuery(action: "even")).map(\.sequence) == [2, 4, 6, 8, 10])
        #expect(try await store.listEvents(EventQuery(afterSequence: 4, action: "even", limit: 2)).map(\.sequence) == [6, 8])
        #expect(try await store.listEvents(EventQuery(limit: 3)).map(\.sequence) == [1, 2, 3])
    }

    @Test("meta set, replace and read; the optional event commits with it")
    func meta() async throws {
        #expect(try await store.meta("bundle_sequence") == nil)
        try await store.setMeta("bundle_sequence", to: "1", event: nil)
        try await store.setMeta("bundle_sequence", to: "2", event: Fixture.event("bundle.rotate"))
        #expect(try await store.meta("bundle_sequence") == "2")
        #expect(try await store.listEvents(EventQuery()).map(\.action) == ["bundle.rotate"])
    }

    @Test("whole-millisecond dates round-trip exactly; finer ones round to the nearest millisecond")
    func datePrecision() {
        for date in [Fixture.base, Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: -1.5),
            Date(timeIntervalSince1970: 4_102_444_800.999)]
        {
            #expect(StoredDate.decode(StoredDate.encode(date)) == date)
        }
        let fine = Date(timeIntervalSince1970: 1_700_000_000.1236)
        #expect(StoredDate.encode(fine) == 1_700_000_000_124)
    }
}

@Suite("Atomicity of a change and its event")
struct AtomicityTests {
    /// Makes the store refuse any event whose action is `refused`, as a full
    /// disk or a bug would, so the change that came with it must roll back.
    func storeRefusingEvents() async throws -> SQLiteStore {
        let store = try SQLiteStore.inMemory()
        try await store.writer.write { db in
            try db.execute(
                sql: """
                    CREATE TEMP TRIGGER refuse_event BEFORE INSERT ON events WHEN NEW.action = 'refused'
                    BEGIN SELECT RAISE(ABORT, 'event refused'); END
                    """)
        }
        return store
    }

    @Test("an entry change whose event cannot be written is not committed")
    func entryChange() async throws {
        let store = try await storeRefusingEvents()
        let entry = Fixture.entry(id: "e1")
        await #expect(throws: (any Error).self) {
            try await store.createEntry(entry, event: Fixture.event("refused"))
        }
        #expect(try await store.entry(id: "e1") == nil)

        try await store.createEntry(entry, event: Fixture.event("entry.create"))
        var changed = entry
        changed.owner = "someone else"
        await #expect(throws: (any Error).self) {
            try await store.updateEntry(changed, event: Fixture.event("refused"))
        }
        await #expect(throws: (any Error).self) {
            try await store.deleteEntry(id: "e1", event: Fixture.event("refused"))
        }
        await #expect(throws: (any Error).self) {
            try await store.setMeta("k", to: "v", event: Fixture.event("refused"))
        }
        #expect(try await store.entry(id: "e1") == entry)
        #expect(try await store.meta("k") == nil)
        #expect(try await store.listEvents(EventQuery()).map(\.action) == ["entry.create"])
    }

    @Test("an issuance whose event cannot be written is not recorded, and its batch neighbours are")
    func issuance() async throws {
        let store = try await storeRefusingEvents()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<20 {
                group.addTask {
                    let action = index == 7 ? "refused" : "svid.x509.issue"
                    do {
                        try await store.recordIssuance(
                            Fixture.credential(serial: "s\(index)"), event: Fixture.event(action, subject: "s\(index)"))
                        #expect(index != 7)
                    } catch {
                        #expect(index == 7)
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await store.credential(serial: "s7") == nil)
        #expect(try await store.listCredentials(CredentialQuery()).count == 19)
        #expect(try await store.listEvents(EventQuery()).count == 19)
    }
}
