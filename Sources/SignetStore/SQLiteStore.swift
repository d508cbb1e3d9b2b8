import Foundation
import GRDB
import SignetCore

/// The embedded default ``Store``: one SQLite file in WAL mode.
///
/// Durability comes first: the writer connection runs with `synchronous=FULL`,
/// so a committed call (in particular an issued credential) survives power
/// loss. WAL lets readers proceed while a write commits. Concurrent
/// ``recordIssuance(_:event:)`` calls are group-committed (see
/// ``IssuanceBatcher``) so that the fsync this costs is shared.
///
/// Precision: instants are kept to the millisecond (see `StoredDate`).
/// Selectors are a set: an entry reads back with its selectors sorted and
/// without duplicates.
///
/// Sendable without `@unchecked`: every stored property is an immutable
/// reference to a Sendable object (GRDB's writers serialize access themselves).
public final class SQLiteStore: Store {
    /// The connection(s): a `DatabasePool` for files, a `DatabaseQueue` in memory.
    let writer: any DatabaseWriter
    let issuances: IssuanceBatcher

    /// How long a write waits for another process holding the write lock
    /// (an online backup, the `sqlite3` shell) before failing with SQLITE_BUSY.
    static let busyTimeout: TimeInterval = 5

    /// Opens (creating if needed) the database file at `path` and brings its schema up to date.
    ///
    /// A new file is created with mode 0600: the inventory and audit log are
    /// not for other local users. The parent directory must exist; Signet does
    /// not guess where state should live.
    public convenience init(path: String, durability: Durability = .full) throws {
        try Self.createPrivateFile(at: path)
        let pool = try DatabasePool(path: path, configuration: Self.configuration(durability))
        // DatabasePool sets `synchronous=NORMAL` on its writer when it enables WAL,
        // after `prepareDatabase` ran. NORMAL can lose the last commits on power
        // loss, so restore FULL on the one connection that commits.
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = \(durability.pragma)")
            // Checkpoint when the WAL reaches 256 MiB rather than 4 MiB: inventory uploads dirty
            // pages all over hash-keyed indexes, and a page rewritten by several commits between
            // two checkpoints is copied back to the database once (measured: +25 % ingest at a
            // million items). After a checkpoint the WAL file is cut back to 64 MiB.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 65536")
            try db.execute(sql: "PRAGMA journal_size_limit = 67108864")
            // The one writer gets a 256 MiB page cache: a million-item inventory's hash-keyed
            // indexes then stay in memory while uploads land all over them.
            try db.execute(sql: "PRAGMA cache_size = -262144")
        }
        try self.init(writer: pool)
    }

    /// A private, empty in-memory store (for tests). It vanishes with the value.
    public static func inMemory() throws -> SQLiteStore {
        try SQLiteStore(writer: DatabaseQueue(configuration: configuration()))
    }

    init(writer: any DatabaseWriter) throws {
        try Schema.migrate(writer)
        self.writer = writer
        self.issuances = IssuanceBatcher(writer: writer)
    }

    /// What a commit waits for.
    public enum Durability: String, Sendable, CaseIterable {
        /// fsync on every commit (group-committed): a returned credential survives power loss. The default.
        case full
        /// No fsync per commit (WAL): survives a crash of Signet itself, but the last commits can be
        /// lost if the machine loses power. For deployments that accept that for throughput.
        case normal

        var pragma: String { self == .full ? "FULL" : "NORMAL" }
    }

    static func configuration(_ durability: Durability = .full) -> Configuration {
        var config = Configuration()
        config.foreignKeysEnabled = true
        config.busyMode = .timeout(busyTimeout)
        config.label = "signet.store"
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(durability.pragma)")
            // Inventory indexes are keyed by hashes, so writes land all over them: a 64 MiB page
            // cache (per connection, allocated only as used) keeps a million-item inventory's
            // indexes in memory instead of re-reading pages for every insert.
            try db.execute(sql: "PRAGMA cache_size = -65536")
        }
        return config
    }

    /// Creates the database file with mode 0600 unless it exists.
    ///
    /// Creating it ourselves (rather than letting SQLite do it under the
    /// process umask) closes the window in which it would be readable by
    /// others; SQLite gives the `-wal` and `-shm` files the same mode.
    /// An existing file keeps the mode its operator chose.
    static func createPrivateFile(at path: String) throws {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue
        else {
            throw StoreError.notFound("directory '\(directory)' for the database does not exist; create it first")
        }
        let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd < 0 {
            let code = errno
            if code == EEXIST { return }
            throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
        }
        defer { close(fd) }
        // The umask may have cleared bits of 0600; set exactly that.
        if fchmod(fd, 0o600) != 0 {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
    }
}
