import Foundation
import SignetCore

/// `signet scan path DIR --git`: scans every file version in the history of DIR's repository,
/// reading each distinct blob exactly once.
///
/// Three git commands do the reading (the `git` executable, through `Process`):
/// `git log --all --raw` lists (commit, path, blob) and keeps, per blob, the first commit and path
/// that introduced it (`GitHistoryLog`); `git cat-file --batch-check` measures every blob so those
/// over the size limit are skipped unread and the progress bar has a total (`GitObjectSizes`); and
/// ONE long-running `git cat-file --batch` streams the contents (`GitBlobStream`). Blobs are
/// scanned by the same `SecretScanner` and `CredentialFileParser` as files, with the same binary
/// and size rules, in a task group that never holds more than `options.concurrency` blobs, while
/// the reader runs ahead within `readAheadBudget` bytes. A secret added in one commit and deleted in
/// the next is found, located at the commit and path that added it; a blob present in a thousand
/// commits is read and reported once. Files in the working tree that were never committed are not
/// part of history and are not scanned.
public struct GitHistoryScanner: Sendable {
    public let scanner: SecretScanner
    public let options: PathScanOptions

    public init(scanner: SecretScanner, options: PathScanOptions = PathScanOptions()) {
        self.scanner = scanner
        self.options = options
    }

    /// Scans the history of the repository containing `path` (a directory, or a file in one).
    ///
    /// Findings carry the path in the repository, the introducing commit and the repository name;
    /// credentials are located `git` / repository / line / commit. `report.git` says how many
    /// commits and blobs there were. Throws `GitHistoryError` when git is missing, `path` is not in
    /// a repository, or a git command fails. `progress` works as in `PathScanner.scan`, with the
    /// total taken from the blob sizes.
    public func scan(
        repositoryAt path: String, progressInterval: Duration = .milliseconds(200),
        progress: ((PathScanProgress) -> Void)? = nil
    ) async throws -> PathScanReport {
        let clock = ContinuousClock()
        let started = clock.now
        let git = try GitExecutable.locate()
        let repository = try await BlockingThread.run("git-rev-parse") { try GitRepository.open(path, git: git) }
        let history = try await BlockingThread.run("git-log") { try GitHistoryLog.read(repository) }
        let oids = history.blobs.map(\.oid)
        let sizes = try await BlockingThread.run("git-batch-check") { try GitObjectSizes.read(oids, in: repository) }

        var report = PathScanReport()
        var wanted: [GitBlobIntroduction] = []
        var wantedSizes: [Int] = []
        var total = 0
        for (blob, size) in zip(history.blobs, sizes) {
            guard let size else {
                report.merge(.unreadable(
                    path: blob.revisionPath, reason: "the blob is not in the object store (a shallow or partial clone?)"))
                continue
            }
            guard size <= options.maximumFileSize else {
                report.merge(.skippedTooLarge)
                continue
            }
            wanted.append(blob)
            wantedSizes.append(size)
            total += size
        }

        var tally = ProgressTally(started: started, interval: progressInterval, total: total, callback: progress)
        func merge(_ outcome: FileScanOutcome) {
            report.merge(outcome)
            tally.record(outcome, in: report, now: clock.now)
        }
        let scanner = scanner
        let options = options
        let name = repository.name
        let stream = try GitBlobStream.start(
            wanted, sizes: wantedSizes, from: repository, budget: Self.readAheadBudget, maximumSize: options.maximumFileSize)
        try await withThrowingTaskGroup(of: FileScanOutcome.self) { group in
            var inFlight = 0
            for try await blob in stream.blobs {
                guard let bytes = blob.bytes else {
                    stream.release(blob)
                    merge(.unreadable(path: blob.introduction.revisionPath, reason: "the blob disappeared while scanning"))
                    continue
                }
                if inFlight >= options.concurrency, let outcome = try await group.next() {
                    merge(outcome)
                    inFlight -= 1
                }
                group.addTask {
                    defer { stream.release(blob) }
                    return Self.scan(bytes, of: blob.introduction, in: name, scanner: scanner, options: options)
                }
                inFlight += 1
            }
            while let outcome = try await group.next() { merge(outcome) }
        }
        try Task.checkCancellation()  // a cancelled stream ends early; its report would be incomplete

        report.git = GitHistoryFacts(
            repository: name, root: repository.root, commits: history.commits, blobs: history.blobs.count,
            blobsScanned: report.filesScanned)
        report.findings.sort { ($0.path, $0.line, $0.column, $0.commit ?? "") < ($1.path, $1.line, $1.column, $1.commit ?? "") }
        report.finishCredentials(now: Date())
        report.elapsedSeconds = PathScanner.seconds(clock.now - started)
        return report
    }

    /// Bytes of blobs read ahead of the scanners (besides the one being read): enough for git to
    /// keep inflating while blobs are scanned, small enough not to matter next to a 10 MiB blob.
    static let readAheadBudget = 32 * 1024 * 1024

    /// One blob through the same rules as a file, then located in history.
    static func scan(
        _ bytes: [UInt8], of blob: GitBlobIntroduction, in repository: String, scanner: SecretScanner,
        options: PathScanOptions
    ) -> FileScanOutcome {
        let credentials = credentials(in: bytes, of: blob, in: repository)
        switch PathScanner.scanContent(bytes, path: blob.path, credentials: credentials, scanner: scanner, options: options) {
        case .scanned(let count, let findings, let credentials):
            let located = findings.map { $0.inHistory(of: repository, commit: blob.commit) }
            return .scanned(bytes: count, findings: located, credentials: credentials)
        case let other:
            return other
        }
    }

    /// Certificates and keys in a blob, located `git` / repository / line / commit. File modes in
    /// history say nothing about who can read a checkout, so no exposure is recorded.
    static func credentials(in bytes: [UInt8], of blob: GitBlobIntroduction, in repository: String) -> [DiscoveredCredential] {
        guard CredentialFileParser.isCandidate(path: blob.path, bytes: bytes) else { return [] }
        return CredentialFileParser().parse(bytes, path: blob.path).map { item in
            var item = item
            item.locations = item.locations.map { location in
                InventoryItem.Location(
                    type: "git", target: PathScanReport.gitTarget(repository: repository, path: location.target),
                    line: location.line, column: location.column, commit: blob.commit,
                    firstSeen: location.firstSeen, lastSeen: location.lastSeen)
            }
            item.attributes["repository"] = repository
            return DiscoveredCredential(item: item)
        }
    }
}
