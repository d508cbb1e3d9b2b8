import Testing

@testable import SignetDiscovery

/// The `git log --raw -z -c` parser on hand-written streams, including what a hostile or broken
/// stream looks like.
@Suite("Git raw log parser")
struct GitRawLogParserTests {
    static let zero = String(repeating: "0", count: 40)
    static func id(_ digit: Character) -> String { String(repeating: digit, count: 40) }

    /// Splits a `-z` stream (NUL-terminated tokens) the way `GitHistoryLog.read` feeds it.
    func parse(_ stream: String) throws -> GitHistory {
        var parser = GitRawLogParser()
        var tokens = stream.split(separator: "\0", omittingEmptySubsequences: false).map { Array($0.utf8) }
        if tokens.last?.isEmpty == true { tokens.removeLast() }
        for token in tokens { try parser.consume(token) }
        try parser.finish()
        return parser.history
    }

    @Test("first introductions win; deletions, symlinks and submodules add nothing")
    func introductions() throws {
        let (c1, c2, c3) = (Self.id("a"), Self.id("b"), Self.id("c"))
        let (b1, b2, b3) = (Self.id("1"), Self.id("2"), Self.id("3"))
        let stream = "\(c1)\0\0\n:000000 100644 \(Self.zero) \(b1) A\0a.env\0:000000 120000 \(Self.zero) \(b3) A\0link\0"
            + "\(c2)\0\0\n:100644 100644 \(b1) \(b2) M\0a.env\0:000000 100755 \(Self.zero) \(b1) A\0copy.sh\0"
            + ":000000 160000 \(Self.zero) \(Self.id("4")) A\0vendor/lib\0"
            + "\(c3)\0\0\n:100644 000000 \(b2) \(Self.zero) D\0a.env\0"
        let history = try parse(stream)
        #expect(history.commits == 3)
        #expect(history.blobs == [
            GitBlobIntroduction(oid: b1, commit: c1, path: "a.env"),
            GitBlobIntroduction(oid: b2, commit: c2, path: "a.env"),
        ])
    }

    @Test("merges (one colon per parent) take the result's mode and id; renames take the new path")
    func mergesAndRenames() throws {
        let (c1, merge) = (Self.id("a"), Self.id("e"))
        let stream = "\(c1)\0\0\n:100644 100644 \(Self.id("1")) \(Self.id("2")) R087\0old name\0new name\0"
            + "\(merge)\0\0\0::100644 100644 100644 \(Self.id("2")) \(Self.id("3")) \(Self.id("5")) MM\0resolved.txt\0"
        let history = try parse(stream)
        #expect(history.blobs.map(\.path) == ["new name", "resolved.txt"])
        #expect(history.blobs.last == GitBlobIntroduction(oid: Self.id("5"), commit: merge, path: "resolved.txt"))
    }

    @Test("a path is taken verbatim, even when it looks like a commit id or holds a newline")
    func pathsAreVerbatim() throws {
        let commit = Self.id("a")
        let hexName = Self.id("f")
        let stream = "\(commit)\0\0\n:000000 100644 \(Self.zero) \(Self.id("1")) A\0\(hexName)\0"
            + ":000000 100644 \(Self.zero) \(Self.id("2")) A\0\nleading newline\0"
        let history = try parse(stream)
        #expect(history.commits == 1)
        #expect(history.blobs.map(\.path) == [hexName, "\nleading newline"])
    }

    @Test("SHA-256 repositories have 64-digit ids")
    func sha256() throws {
        let commit = String(repeating: "a", count: 64)
        let blob = String(repeating: "1", count: 64)
        let history = try parse("\(commit)\0\0\n:000000 100644 \(String(repeating: "0", count: 64)) \(blob) A\0k.pem\0")
        #expect(history.blobs == [GitBlobIntroduction(oid: blob, commit: commit, path: "k.pem")])
    }

    @Test("malformed streams are errors, never guesses", arguments: [
        "not-a-commit\0",
        ":000000 100644 \(zero) \(id("1")) A\0before any commit\0",
        "\(id("a"))\0:000000 100644 \(zero) A\0x\0",
        "\(id("a"))\0:000000 100644 \(zero) \(String(repeating: "z", count: 40)) A\0x\0",
        "\(id("a"))\0:000000 100644 \(zero) \(id("1")) A\0",
    ])
    func malformed(stream: String) {
        #expect(throws: GitHistoryError.self) { try parse(stream) }
    }
}
