import Foundation
import GRDB
import SignetCore
import Synchronization
import Testing

@testable import SignetStore

@Suite("Issued credentials")
struct IssuanceTests {
    @Test("a credential and its event round-trip")
    func roundTrip() async throws {
        let store = try SQLiteStore.inMemory()
        let x509 = Fixture.credential(serial: "0a1b")
        let jwt = Fixture.credential(serial: "jti-1", kind: .jwtSVID, issuedAt: 1_000)
        try await store.recordIssuance(x509, event: Fixture.event("svid.x509.issue", subject: "0a1b"))
        try await store.recordIssuance(jwt, event: Fixture.event("svid.jwt.issue", subject: "jti-1"))
        #expect(try await store.credential(serial: "0a1b") == x509)
        #expect(try await store.credential(serial: "jti-1") == jwt)
        #expect(try await store.credential(serial: "missing") == nil)
        #expect(try await store.listEvents(EventQuery()).map(\.subject) == ["0a1b", "jti-1"])
    }

    @Test("a duplicate serial is a conflict that writes nothing")
    func duplicate() async throws {
        let store = try SQLiteStore.inMemory()
        let first = Fixture.credential(serial: "dup")
        try await store.recordIssuance(first, event: Fixture.event("svid.x509.issue", subject: "dup"))
        var second = Fixture.credential(serial: "dup")
        second.issuedTo = "someone else"
        let message = await Fixture.conflictMessage {
            try await store.recordIssuance(second, event: Fixture.event("svid.x509.issue", subject: "dup-2"))
        }
        #expect(message?.contains("'dup'") == true)
        #expect(try await store.credential(serial: "dup") == first)
        #expect(try await store.listEvents(EventQuery()).map(\.subject) == ["dup"])
    }

    @Test("list filters by SPIFFE ID and kind, oldest issuance first, with a limit")
    func list() async throws {
        let store = try SQLiteStore.inMemory()
        let records = [
            Fixture.credential(serial: "c", issuedAt: 1_000),
            Fixture.credential(serial: "a", kind: .jwtSVID, issuedAt: 2_000),
            Fixture.credential(serial: "b", spiffeID: "spiffe://example.org/other", issuedAt: 0),
            Fixture.credential(serial: "d", issuedAt: 1_000),
        ]
        for record in records {
            try await store.recordIssuance(record, event: Fixture.event("svid.issue", subject: record.serial))
        }
        func serials(_ query: CredentialQuery) async throws -> [String] {
            try await store.listCredentials(query).map(\.serial)
        }
        #expect(try await serials(CredentialQuery()) == ["b", "c", "d", "a"])
        #expect(try await serials(CredentialQuery(spiffeID: Fixture.id("spiffe://example.org/prod/payments/api")))
            == ["c", "d", "a"])
        #expect(try await serials(CredentialQuery(kind: .jwtSVID)) == ["a"])
        #expect(try await serials(CredentialQuery(kind: .x509SVID, limit: 2)) == ["b", "c"])
    }

    @Test("200 concurrent issuances are all committed before their callers resume, each with one event")
    func concurrent() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteStore(path: directory.appendingPathComponent("signet.db").path)
            let count = 200
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<count {
                    group.addTask {
                        let serial = String(format: "%04x", index)
                        try await store.recordIssuance(
                            Fixture.credential(serial: serial),
                            event: Fixture.event("svid.x509.issue", subject: serial))
                        // Readers see only committed data: the record must be there already.
                        let stored = try await store.credential(serial: serial)
                        #expect(stored?.serial == serial)
                    }
                }
                try await group.waitForAll()
            }
            let serials = try await store.listCredentials(CredentialQuery(limit: 1000)).map(\.serial)
            #expect(Set(serials).count == count)
            let subjects = try await store.listEvents(EventQuery(limit: 1000)).map(\.subject)
            #expect(subjects.count == count)
            #expect(Set(subjects) == Set(serials))
        }
    }

    @Test("a duplicate serial inside a concurrent batch fails only its own caller")
    func duplicateInBatch() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteStore(path: directory.appendingPathComponent("signet.db").path)
            let commits = CommitCounter()
            store.writer.add(transactionObserver: commits, extent: .databaseLifetime)

            // Hold the writer so that the callers pile up and share a batch.
            let gate = DispatchSemaphore(value: 0)
            store.writer.asyncWriteWithoutTransaction { _ in gate.wait() }
            let started = Tally()

            // 64 callers, and every serial is used by exactly two of them.
            async let outcomes = withTaskGroup(of: (String, Bool).self) { group in
                for index in 0..<64 {
                    group.addTask {
                        let serial = "s\(index / 2)"
                        started.increment()
                        do {
                            try await store.recordIssuance(
                                Fixture.credential(serial: serial),
                                event: Fixture.event("svid.x509.issue", subject: serial))
                            return (serial, true)
                        } catch StoreError.conflict {
                            return (serial, false)
                        } catch {
                            Issue.record("unexpected error \(error)")
                            return (serial, false)
                        }
                    }
                }
                var outcomes: [(String, Bool)] = []
                for await outcome in group { outcomes.append(outcome) }
                return outcomes
            }
            while started.value < 64 { try await Task.sleep(for: .milliseconds(1)) }
            try await Task.sleep(for: .milliseconds(50))
            gate.signal()

            let results = await outcomes
            for pair in 0..<32 {
                let wins = results.filter { $0.0 == "s\(pair)" }.map(\.1)
                #expect(wins.sorted { !$0 && $1 } == [false, true], "serial s\(pair): \(wins)")
            }
            // The first caller commits alone; the other 63 (31 duplicates among them) share one commit.
            #expect(commits.count <= 3, "expected batched commits, got \(commits.count)")
            #expect(try await store.listCredentials(CredentialQuery()).count == 32)
            let subjects = try await store.listEvents(EventQuery()).map(\.subject)
            #expect(subjects.count == 32)
            #expect(Set(subjects).count == 32)
        }
    }

    @Test("a cancelled caller's issuance still commits (it never aborts a shared batch)")
    func cancelledCaller() async throws {
        let store = try SQLiteStore.inMemory()
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await store.recordIssuance(
                Fixture.credential(serial: "cancelled"), event: Fixture.event("svid.x509.issue", subject: "cancelled"))
        }
        try await task.value
        #expect(try await store.credential(serial: "cancelled") != nil)
    }
}

/// Counts committed write transactions, to see how many issuances shared one.
final class CommitCounter: TransactionObserver, Sendable {
    private let commits = Tally()

    var count: Int { commits.value }

    func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { false }
    func databaseDidChange(with event: DatabaseEvent) {}
    func databaseDidCommit(_ db: Database) { commits.increment() }
    func databaseDidRollback(_ db: Database) {}
}

/// A counter shared between tasks.
final class Tally: Sendable {
    private let count = Mutex(0)

    var value: Int { count.withLock { $0 } }

    func increment() { count.withLock { $0 += 1 } }
}
