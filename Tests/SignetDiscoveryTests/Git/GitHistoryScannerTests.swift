import Crypto
import Foundation
import SignetCore
import Testing

@testable import SignetDiscovery

/// `GitHistoryScanner` against real repositories built with the git CLI.
@Suite("Git history scanning")
struct GitHistoryScannerTests {
    static let awsKey = "AWS_ACCESS_KEY_ID=AKIAQYLPMN5HHHFPZAM2\n"
    static let otherKey = "AWS_ACCESS_KEY_ID=AKIAQ2E3A7F3BZ4C6556\n"

    let scanner = GitHistoryScanner(scanner: TestSupport.scanner, options: PathScanOptions(concurrency: 2))

    @Test("a secret added, then deleted in a later commit, is found at the commit that introduced it")
    func deletedSecretIsInHistory() async throws {
        var repository = try GitTestRepository()
        defer { repository.remove() }
        try repository.write("README.md", "# service\n")
        try repository.commit("initial")
        try repository.write("config/.env", "PORT=8080\n" + Self.awsKey)
        let introduced = try repository.commit("add config")
        try repository.delete("config/.env")
        try repository.commit("remove the key")
        try repository.write("notes.env", Self.otherKey)  // never committed: not history

        let report = try await scanner.scan(repositoryAt: repository.root)
        let finding = try #require(report.findings.first)
        #expect(report.findings.count == 1)
        #expect(finding.detectorID == "aws-access-key-id")
        #expect(finding.path == "config/.env" && finding.line == 2 && finding.column == 19)
        #expect(finding.commit == introduced)
        let top = try repository.git("rev-parse", "--show-toplevel").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(finding.repository == top)
        let git = try #require(report.git)
        #expect(git.commits == 3 && git.blobs == 2 && git.blobsScanned == 2 && git.root == top)
        #expect(report.filesScanned == 2 && report.bytesScanned == 10 + 10 + Self.awsKey.utf8.count)
    }

    @Test("the same secret in 50 commits and paths is one blob, read and reported once")
    func repeatedBlobScannedOnce() async throws {
        var repository = try GitTestRepository()
        defer { repository.remove() }
        var first = ""
        for index in 0..<50 {
            try repository.write("service-\(index)/deploy.env", Self.awsKey)
            try repository.write("counter.txt", "build \(index)\n")
            let commit = try repository.commit("deploy \(index)")
            if index == 0 { first = commit }
        }
        var seen: [PathScanProgress] = []
        let report = try await scanner.scan(repositoryAt: repository.root, progressInterval: .zero) { seen.append($0) }
        #expect(report.findings.count == 1)
        #expect(report.findings.first?.path == "service-0/deploy.env")
        #expect(report.findings.first?.commit == first)
        let git = try #require(report.git)
        #expect(git.commits == 50)
        #expect(git.blobs == 51)  // one secret blob + fifty counters
        #expect(git.blobsScanned == 51 && report.filesScanned == 51)
        let counters = (0..<50).map { "build \($0)\n".utf8.count }.reduce(0, +)
        #expect(report.bytesScanned == Self.awsKey.utf8.count + counters)
        // Progress carries the blob-size total and never passes it.
        let total = try #require(seen.last?.bytesTotal)
        #expect(total == report.bytesScanned)
        #expect(seen.allSatisfy { $0.bytesDone <= total })
        #expect(zip(seen, seen.dropFirst()).allSatisfy { $0.bytesDone <= $1.bytesDone })
    }

    @Test("binary blobs are skipped, too-large blobs are skipped unread")
    func binaryAndTooLarge() async throws {
        var repository = try GitTestRepository()
        defer { repository.remove() }
        try repository.write("image.bin", [0x89, 0x50, 0x4E, 0x47, 0x00, 0x00] + Array(Self.awsKey.utf8))
        try repository.write("dump.sql", String(repeating: "-- filler line\n", count: 100) + Self.otherKey)
        try repository.write("small.env", "LOG_LEVEL=debug\n")
        try repository.commit("assets")

        let limited = GitHistoryScanner(scanner: TestSupport.scanner, options: PathScanOptions(maximumFileSize: 1000))
        let report = try await limited.scan(repositoryAt: repository.root)
        #expect(report.findings.isEmpty)
        #expect(report.filesSkippedBinary == 1)
        #expect(report.filesSkippedTooLarge == 1)
        #expect(report.filesScanned == 1)
        #expect(report.git?.blobs == 3)

        let everything = GitHistoryScanner(
            scanner: TestSupport.scanner, options: PathScanOptions(skipBinaryFiles: false))
        let full = try await everything.scan(repositoryAt: repository.root)
        #expect(Set(full.findings.map(\.path)) == ["image.bin", "dump.sql"])
    }

    @Test("paths with spaces, newlines and non-ASCII letters come back exactly")
    func unusualPaths() async throws {
        var repository = try GitTestRepository()
        defer { repository.remove() }
        let paths = ["my dir/prod secrets.env", "line\nbreak.env", "configuración/clé.env"]
        for (index, path) in paths.enumerated() {
            try repository.write(path, "# \(index)\n" + (index == 1 ? Self.otherKey : Self.awsKey))
        }
        let commit = try repository.commit("odd names")
        let report = try await scanner.scan(repositoryAt: repository.root + "/my dir")  // a subdirectory names its repository
        #expect(Set(report.findings.map(\.path)) == Set(paths))
        #expect(report.findings.allSatisfy { $0.commit == commit && $0.line == 2 })
    }

    @Test("a directory outside any repository is a clear error; an empty repository is an empty report")
    func notARepositoryAndEmpty() async throws {
        let plain = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: plain) }
        await #expect(throws: GitHistoryError.self) { try await scanner.scan(repositoryAt: plain) }
        do {
            _ = try await scanner.scan(repositoryAt: plain)
        } catch let error as GitHistoryError {
            guard case .notARepository(let path, let detail) = error else {
                Issue.record("expected notARepository, got \(error)")
                return
            }
            #expect(path == plain)
            #expect(detail.contains("not a git repository"))
            #expect(error.description.contains("without --git"))
        }
        await #expect(throws: GitHistoryError.self) { try await scanner.scan(repositoryAt: plain + "/missing") }

        let empty = try GitTestRepository()
        defer { empty.remove() }
        let report = try await scanner.scan(repositoryAt: empty.root)
        #expect(report.findings.isEmpty && report.filesScanned == 0)
        #expect(report.git?.commits == 0 && report.git?.blobs == 0)
    }

    @Test("every branch, merges included, is scanned; the origin URL names the repository without credentials")
    func branchesMergesAndOrigin() async throws {
        var repository = try GitTestRepository()
        defer { repository.remove() }
        try repository.git("remote", "add", "origin", "https://deploy:ghp_notarealtoken@github.com/acme/payments.git")
        try repository.write("app.txt", "v1\n")
        try repository.commit("base")
        try repository.git("checkout", "-q", "-b", "feature")
        try repository.write("feature.env", Self.otherKey)
        let featureCommit = try repository.commit("feature work")
        try repository.git("checkout", "-q", "main")
        try repository.write("app.txt", "v2\n")
        try repository.commit("main work")
        // An unmerged branch: its secret is history too.
        try repository.git("checkout", "-q", "-b", "abandoned", "HEAD~1")
        try repository.write("old.env", Self.awsKey)
        try repository.commit("abandoned idea")
        try repository.git("checkout", "-q", "main")
        try repository.git("merge", "-q", "--no-edit", "feature", date: 1_800_000_000)

        let report = try await scanner.scan(repositoryAt: repository.root)
        #expect(report.git?.repository == "https://github.com/acme/payments.git")
        #expect(report.findings.allSatisfy { $0.repository == "https://github.com/acme/payments.git" })
        #expect(Set(report.findings.map(\.path)) == ["feature.env", "old.env"])
        #expect(report.findings.first { $0.path == "feature.env" }?.commit == featureCommit)
        #expect(report.git?.commits == 5)
    }

    @Test("keys in history become git-located credentials")
    func credentialsInHistory() async throws {
        var repository = try GitTestRepository()
        defer { repository.remove() }
        let key = P256.Signing.PrivateKey()
        try repository.write("deploy/signing.pem", "# deploy key\n" + key.pemRepresentation + "\n")
        let commit = try repository.commit("add key")
        try repository.delete("deploy/signing.pem")
        try repository.commit("oops")
        let report = try await scanner.scan(repositoryAt: repository.root)
        let credential = try #require(report.credentials.first)
        #expect(report.credentials.count == 1)
        #expect(credential.item.kind == .privateKey && credential.exposedPaths.isEmpty)
        let top = try repository.git("rev-parse", "--show-toplevel").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(credential.item.locations.map(\.type) == ["git"])
        #expect(credential.item.locations.first?.target == top + "/deploy/signing.pem")
        #expect(credential.item.locations.first?.commit == commit)
        #expect(credential.item.locations.first?.line == 2)
        #expect(credential.item.attributes["repository"] == top)
        #expect(report.findings.contains { $0.kind == .privateKey && $0.commit == commit })
    }

    @Test("a blob missing from the object store is reported unreadable; a damaged one stops the scan with git's error")
    func damagedObjectStore() async throws {
        var repository = try GitTestRepository()
        defer { repository.remove() }
        try repository.write("a.env", Self.awsKey)
        try repository.write("gone.txt", "soon missing\n")
        let filler = (0..<3000).map { "line \($0) of a long generated file with some words in it" }.joined(separator: "\n")
        try repository.write("big.txt", filler)
        try repository.write("z.env", Self.otherKey)
        let commit = try repository.commit("loose objects")
        func objectFile(_ path: String) throws -> String {
            let oid = try repository.git("rev-parse", "HEAD:\(path)").trimmingCharacters(in: .whitespacesAndNewlines)
            return repository.root + "/.git/objects/" + oid.prefix(2) + "/" + oid.dropFirst(2)
        }
        try FileManager.default.removeItem(atPath: try objectFile("gone.txt"))
        let report = try await scanner.scan(repositoryAt: repository.root)
        #expect(report.unreadable.map(\.path) == ["\(commit):gone.txt"])
        #expect(Set(report.findings.map(\.path)) == ["a.env", "z.env"])

        // Truncated: the header still inflates (so it is measured), the content does not.
        let big = try objectFile("big.txt")
        #expect(chmod(big, 0o644) == 0)
        #expect(truncate(big, 400) == 0)
        do {
            _ = try await scanner.scan(repositoryAt: repository.root)
            Issue.record("a damaged blob must stop the scan")
        } catch let error as GitHistoryError {
            guard case .commandFailed(let command, _, let detail) = error else {
                Issue.record("expected commandFailed, got \(error)")
                return
            }
            #expect(command == "git cat-file")
            #expect(detail.contains("unable to stream"))
        }
    }

    @Test("a bare repository is scanned like any other")
    func bareRepository() async throws {
        var repository = try GitTestRepository()
        defer { repository.remove() }
        try repository.write("ci/secrets.env", Self.awsKey)
        let commit = try repository.commit("ci")
        let bare = repository.base + "/bare.git"
        try GitTestRepository.run(["clone", "-q", "--bare", repository.root, bare], home: repository.home)
        let report = try await scanner.scan(repositoryAt: bare)
        #expect(report.findings.map(\.path) == ["ci/secrets.env"])
        #expect(report.findings.first?.commit == commit)
        #expect(report.git?.repository == repository.root)  // a clone's origin is where it came from
        #expect(report.git?.root.hasSuffix("bare.git") == true)
        // Inside the .git directory of a checkout there is no work tree either: the git directory is the root.
        let fromGitDirectory = try await scanner.scan(repositoryAt: repository.root + "/.git/objects")
        #expect(fromGitDirectory.findings.map(\.commit) == [commit])
        #expect(fromGitDirectory.git?.root.hasSuffix("/.git") == true)
    }

    @Test("remote URLs lose their user name and password, nothing else")
    func credentialStripping() {
        #expect(GitRepository.withoutCredentials("https://user:tok@github.com/a/b.git") == "https://github.com/a/b.git")
        #expect(GitRepository.withoutCredentials("https://ghp_x@github.com/a/b") == "https://github.com/a/b")
        #expect(GitRepository.withoutCredentials("ssh://git@host:2222/a/b.git") == "ssh://host:2222/a/b.git")
        #expect(GitRepository.withoutCredentials("git@github.com:a/b.git") == "git@github.com:a/b.git")
        #expect(GitRepository.withoutCredentials("https://host/path/with@sign") == "https://host/path/with@sign")
        #expect(GitRepository.withoutCredentials("/srv/git/repo.git") == "/srv/git/repo.git")
    }
}
