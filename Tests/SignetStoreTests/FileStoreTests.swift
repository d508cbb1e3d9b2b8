import Foundation
import GRDB
import SignetCore
import Testing

@testable import SignetStore

@Suite("File-backed store")
struct FileStoreTests {
    @Test("a new database file and its WAL are created with mode 0600")
    func fileMode() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("signet.db").path
            let store = try SQLiteStore(path: path)
            try await store.appendEvent(Fixture.event("server.start"))
            #expect(try mode(of: path) == 0o600)
            #expect(try mode(of: path + "-wal") == 0o600)
        }
    }

    @Test("the parent directory must exist")
    func missingDirectory() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("absent/signet.db").path
            #expect(throws: StoreError.self) { try SQLiteStore(path: path) }
            #expect(!FileManager.default.fileExists(atPath: path))
        }
    }

    @Test("WAL, synchronous=FULL on the committing connection, foreign keys and a busy timeout")
    func pragmas() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteStore(path: directory.appendingPathComponent("signet.db").path)
            let (journal, synchronous, foreignKeys, busy) = try await store.writer.writeWithoutTransaction { db in
                (
                    try String.fetchOne(db, sql: "PRAGMA journal_mode"),
                    try Int.fetchOne(db, sql: "PRAGMA synchronous"),
                    try Int.fetchOne(db, sql: "PRAGMA foreign_keys"),
                    try Int.fetchOne(db, sql: "PRAGMA busy_timeout")
                )
            }
            #expect(journal == "wal")
            #expect(synchronous == 2)  // FULL
            #expect(foreignKeys == 1)
            #expect(busy == Int(SQLiteStore.busyTimeout * 1000))
        }
    }

    @Test("durability normal: no fsync per commit, still WAL")
    func normalDurability() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteStore(path: directory.appendingPathComponent("signet.db").path, durability: .normal)
            let (journal, synchronous) = try await store.writer.writeWithoutTransaction { db in
                (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"))
            }
            #expect(journal == "wal")
            #expect(synchronous == 1)  // NORMAL
        }
    }

    @Test("opening the same file again (also while open) migrates once")
    func migrationsIdempotent() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("signet.db").path
            let first = try SQLiteStore(path: path)
            try await first.setMeta("trust_domain", to: "example.org", event: nil)
            let second = try SQLiteStore(path: path)
            let third = try SQLiteStore(path: path)
            #expect(try await third.meta("trust_domain") == "example.org")
            let applied = try await second.writer.read { db in
                try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")
            }
            #expect(applied == ["v1", "v2", "v3", "v4"])
        }
    }

    @Test("a database from a newer Signet (unknown migrations) is refused")
    func newerSchemaRefused() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("signet.db").path
            let store = try SQLiteStore(path: path)
            try await store.writer.write { db in
                try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v999')")
            }
            #expect(throws: StoreError.self) { try SQLiteStore(path: path) }
        }
    }

    @Test("everything written reads back from a new instance on the same file")
    func reopen() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("signet.db").path
            let entries = [
                Fixture.entry(id: "e1"),
                Fixture.entry(id: "e2", spiffeID: "spiffe://example.org/prod/ledger", parentID: nil),
            ]
            let credentials = [
                Fixture.credential(serial: "01"),
                Fixture.credential(serial: "02", kind: .jwtSVID, issuedAt: 1_000),
            ]
            var written: SQLiteStore? = try SQLiteStore(path: path)
            for entry in entries {
                try await written?.createEntry(entry, event: Fixture.event("entry.create", subject: entry.id))
            }
            for credential in credentials {
                try await written?.recordIssuance(
                    credential, event: Fixture.event("svid.issue", subject: credential.serial))
            }
            try await written?.setMeta("bundle_sequence", to: "7", event: Fixture.event("bundle.rotate"))
            written = nil  // closes the connections

            let reopened = try SQLiteStore(path: path)
            #expect(try await reopened.listEntries(EntryQuery()) == entries)
            #expect(try await reopened.listCredentials(CredentialQuery()) == credentials)
            #expect(try await reopened.meta("bundle_sequence") == "7")
            let events = try await reopened.listEvents(EventQuery())
            #expect(events.map(\.subject) == ["e1", "e2", "01", "02", "subject"])
            #expect(events.map(\.sequence) == [1, 2, 3, 4, 5])
            var expected = Fixture.event("bundle.rotate")
            expected.sequence = 5
            #expect(events.last == expected)
        }
    }
}

private func mode(of path: String) throws -> mode_t {
    var info = stat()
    guard stat(path, &info) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    return info.st_mode & 0o777
}
