/// Where history first put one blob: the commit that introduced it and the path it had there.
struct GitBlobIntroduction: Sendable, Hashable {
    let oid: String
    let commit: String
    let path: String

    /// `commit:path`, git's own way of naming a blob in history (used for unreadable blobs).
    var revisionPath: String { commit + ":" + path }
}

/// A repository's history as the scanner needs it: each distinct blob once, in history order
/// (oldest first), with the commit and path that introduced it.
struct GitHistory: Sendable {
    var commits = 0
    var blobs: [GitBlobIntroduction] = []
}

/// Lists every blob in a repository's history with `git log --all --raw`.
///
/// `--reverse --date-order` puts parents before children, so the first sighting of a blob is the
/// commit that introduced it; `--root` shows the files of root commits; `-c` shows the files a
/// merge changed relative to every parent (a resolution that introduced new content); deletions
/// carry no new blob, and a deleted file's content was listed when it was added. `-z` keeps paths
/// with spaces, newlines or any other byte intact.
enum GitHistoryLog {
    static let arguments = [
        "log", "--all", "--date-order", "--reverse", "--root", "--no-renames", "--no-abbrev", "--raw", "-z", "-c",
        "--no-ext-diff", "--no-textconv", "--format=%H%x00",
    ]

    /// Blocking: runs `git log` to completion.
    static func read(_ repository: GitRepository) throws -> GitHistory {
        let process = try GitProcess.start(repository.git, in: repository.root, arguments)
        var reader = process.outputReader()
        var parser = GitRawLogParser()
        do {
            while let token = try reader.record(until: 0, limit: 1 << 20) {
                try parser.consume(token)
            }
            try parser.finish()
        } catch let error as GitHistoryError {
            process.stop()
            _ = process.finish()
            throw error
        } catch {
            process.stop()
            _ = process.finish()
            throw GitHistoryError.unexpectedOutput(command: process.command, detail: "\(error)")
        }
        try process.finishSuccessfully()
        return parser.history
    }
}

/// Parses `git log --format=%H%x00 --raw -z -c` output, one NUL-terminated token at a time.
///
/// The stream is: a commit id token, then per changed file a header token
/// (`:<modes> <ids> <status>`, one colon per parent) followed by the path token (two paths for a
/// rename or copy, should a configuration force detection on). Separators between records show up
/// as empty or newline-prefixed tokens. A path token is taken verbatim, whatever it looks like,
/// because it always follows a header.
struct GitRawLogParser {
    private(set) var history = GitHistory()
    private var seen: Set<String> = []
    private var commit: String?
    /// After a header: the blob it names (nil: nothing to record) and the paths still to read.
    private var pending: (oid: String?, paths: Int)?

    static let command = "git log"

    mutating func consume(_ token: [UInt8]) throws {
        if let (oid, paths) = pending {
            if paths > 1 {
                pending = (oid, paths - 1)  // a rename's source path: the destination follows
                return
            }
            pending = nil
            guard let oid, let commit else { return }
            if seen.insert(oid).inserted {
                history.blobs.append(GitBlobIntroduction(oid: oid, commit: commit, path: String(decoding: token, as: UTF8.self)))
            }
            return
        }
        let record = token.drop(while: { $0 == UInt8(ascii: "\n") })
        guard let first = record.first else { return }
        if first == UInt8(ascii: ":") {
            pending = try Self.header(record)
            guard commit != nil else { throw Self.unexpected("a file entry before any commit") }
        } else if Self.isObjectID(record) {
            commit = String(decoding: record, as: UTF8.self)
            history.commits += 1
        } else {
            throw Self.unexpected("a token that is neither a commit id nor a file entry (\(Self.excerpt(record)))")
        }
    }

    /// Checks that the stream did not stop inside a record.
    func finish() throws {
        if pending != nil { throw Self.unexpected("the output ended after a file entry without its path") }
    }

    /// `:100644 100644 <old> <new> M` or, for a merge with n parents, n colons, n+1 modes, n+1 ids
    /// and the status: the last mode and id are the result's.
    private static func header(_ record: ArraySlice<UInt8>) throws -> (oid: String?, paths: Int) {
        let colons = record.prefix(while: { $0 == UInt8(ascii: ":") }).count
        let fields = record.dropFirst(colons).split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard colons <= 64, fields.count == 2 * (colons + 1) + 1, let status = fields.last?.first else {
            throw unexpected("a malformed file entry (\(excerpt(record)))")
        }
        let mode = fields[colons]
        let oid = fields[2 * colons + 1]
        guard isObjectID(oid) else { throw unexpected("a malformed object id (\(excerpt(oid)))") }
        let paths = status == UInt8(ascii: "R") || status == UInt8(ascii: "C") ? 2 : 1
        // Regular files only (100644, 100755, the old 100664): not symbolic links (120000, their
        // content is a path, as with the file walker) nor submodule commits (160000).
        let isRegularFile = mode.starts(with: Array("100".utf8))
        let isDeleted = oid.allSatisfy { $0 == UInt8(ascii: "0") }
        return (isRegularFile && !isDeleted ? String(decoding: oid, as: UTF8.self) : nil, paths)
    }

    /// A full SHA-1 (40) or SHA-256 (64) id in lowercase hex.
    static func isObjectID<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Bool {
        (bytes.count == 40 || bytes.count == 64)
            && bytes.allSatisfy { ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "f")) }
    }

    private static func unexpected(_ detail: String) -> GitHistoryError {
        .unexpectedOutput(command: command, detail: detail)
    }

    private static func excerpt<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> String {
        let text = String(decoding: bytes.prefix(80), as: UTF8.self)
        return text.unicodeScalars.map { $0.value < 0x20 ? "?" : String($0) }.joined()
    }
}
