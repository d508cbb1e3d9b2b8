import Foundation
import GRDB

/// The machine's SQLite write ceiling, for benchmarks that report a ratio against a baseline
/// measured in the same run: `rows` minimal rows (a text key and one integer) inserted in
/// transactions of `batch` with the store's own durability (`synchronous=FULL`, WAL), into a
/// fresh file in `directory` that is deleted afterwards. Keys look like inventory ids (a kind
/// and 64 hex digits spread like a hash), so both write to a B-tree the same way.
public enum SQLiteBaseline {
    static func key(_ n: Int) -> String {
        var x = UInt64(truncatingIfNeeded: n) &* 0x9E37_79B9_7F4A_7C15
        x ^= x >> 29
        x = x &* 0xBF58_476D_1CE4_E5B9
        x ^= x >> 32
        let word = String(x, radix: 16)
        let padded = String(repeating: "0", count: 16 - word.count) + word
        return "api-token:hmac-sha256:" + padded + padded + padded + padded
    }

    public static func insertRate(directory: String, rows: Int, batch: Int) throws -> Double {
        let path = directory + "/baseline-\(UUID().uuidString).db"
        defer {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        let pool = try DatabasePool(path: path, configuration: SQLiteStore.configuration())
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 65536")
            try db.execute(sql: "PRAGMA journal_size_limit = 67108864")
            try db.execute(sql: "PRAGMA cache_size = -262144")
            try db.execute(sql: "CREATE TABLE t (id TEXT PRIMARY KEY NOT NULL, v INTEGER NOT NULL) WITHOUT ROWID")
        }
        let start = ContinuousClock.now
        var written = 0
        while written < rows {
            let count = min(batch, rows - written)
            try pool.write { db in
                let statement = try db.cachedStatement(sql: "INSERT INTO t (id, v) VALUES (?, ?)")
                for n in written..<(written + count) {
                    statement.setUncheckedArguments([key(n), n])
                    try statement.execute()
                }
            }
            written += count
        }
        let seconds = (ContinuousClock.now - start) / .seconds(1)
        try pool.close()
        return Double(rows) / seconds
    }
}
