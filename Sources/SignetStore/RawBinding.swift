import Foundation
import GRDB
import GRDBSQLite

/// Binds values straight into a prepared statement with the SQLite C API.
///
/// Inventory ingest binds 32 values per item, a million times: going through GRDB's
/// `StatementArguments` (an existential and a `DatabaseValue` per value) cost more than the
/// insert itself. This binder copies each value into SQLite once (`SQLITE_TRANSIENT`) and
/// nothing else; ``execute(_:)`` then steps the statement with these bindings (GRDB's own
/// `execute` would insist on its own arguments).
struct RawBinding {
    let statement: SQLiteStatement
    private var index: Int32 = 0

    init(_ statement: Statement) {
        self.statement = statement.sqliteStatement
    }

    /// SQLite copies the bytes before `sqlite3_bind_text` returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    mutating func text(_ value: String?) {
        index += 1
        guard var value else {
            sqlite3_bind_null(statement, index)
            return
        }
        value.withUTF8 { bytes in
            _ = sqlite3_bind_text(statement, index, bytes.baseAddress, Int32(bytes.count), Self.transient)
        }
    }

    mutating func int(_ value: Int64?) {
        index += 1
        if let value { sqlite3_bind_int64(statement, index, value) } else { sqlite3_bind_null(statement, index) }
    }

    mutating func int(_ value: Int?) { int(value.map(Int64.init)) }

    mutating func bool(_ value: Bool?) { int(value.map { $0 ? Int64(1) : 0 }) }

    mutating func date(_ value: Date?) { int(value.map(StoredDate.encode)) }

    /// Runs the bound statement to completion and resets it; failures throw GRDB's `DatabaseError`
    /// with SQLite's extended code (a taken UNIQUE key is `SQLITE_CONSTRAINT_UNIQUE`).
    func execute(_ db: Database) throws {
        defer { sqlite3_reset(statement) }
        var code = sqlite3_step(statement)
        while code == SQLITE_ROW { code = sqlite3_step(statement) }
        guard code == SQLITE_DONE else {
            let connection = db.sqliteConnection
            let extended = sqlite3_extended_errcode(connection)
            let message = connection.map { String(cString: sqlite3_errmsg($0)) }
            throw DatabaseError(resultCode: ResultCode(rawValue: extended), message: message)
        }
    }
}
