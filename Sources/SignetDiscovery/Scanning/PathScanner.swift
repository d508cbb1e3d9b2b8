import Foundation

/// `signet scan path DIR...`: walks directories and scans every regular file for secrets, with a
/// bounded number of files in flight (structured concurrency: a task group that never holds more
/// than `options.concurrency` child tasks), so memory stays proportional to the concurrency rather
/// than to the tree.
public struct PathScanner: Sendable {
    public let scanner: SecretScanner
    public let options: PathScanOptions

    public init(scanner: SecretScanner, options: PathScanOptions = PathScanOptions()) {
        self.scanner = scanner
        self.options = options
    }

    /// Scans files and directories (recursively). Findings are sorted by path, line and column.
    ///
    /// `progress`, when given, is called on the scanning task at most every `progressInterval`
    /// (a terminal progress line); it must be quick, since no file is merged while it runs. With a
    /// callback the scan first counts the bytes it will read (a metadata-only walk, see
    /// `ScanSizeEstimate`) so each report carries `bytesTotal` for a percentage and an ETA.
    public func scan(
        _ roots: [String], progressInterval: Duration = .milliseconds(200),
        progress: ((PathScanProgress) -> Void)? = nil
    ) async -> PathScanReport {
        let clock = ContinuousClock()
        let started = clock.now
        let scanner = scanner
        let options = options
        let total = progress == nil ? nil : ScanSizeEstimate.bytes(under: roots, options: options)
        var tally = ProgressTally(started: started, interval: progressInterval, total: total, callback: progress)
        var report = PathScanReport()
        func merge(_ outcome: FileScanOutcome) {
            report.merge(outcome)
            tally.record(outcome, in: report, now: clock.now)
        }
        await withTaskGroup(of: FileScanOutcome.self) { group in
            var inFlight = 0
            for path in FileWalker(roots: roots, excluded: options.excludedDirectoryNames) {
                if inFlight >= options.concurrency, let outcome = await group.next() {
                    merge(outcome)
                    inFlight -= 1
                }
                group.addTask { Self.scanFile(path, scanner: scanner, options: options) }
                inFlight += 1
            }
            for await outcome in group { merge(outcome) }
        }
        report.findings.sort { ($0.path, $0.line, $0.column) < ($1.path, $1.line, $1.column) }
        report.finishCredentials(now: Date())
        report.elapsedSeconds = Self.seconds(clock.now - started)
        return report
    }

    /// Certificates and keys in a file with PEM armour or a credential extension, with the file's
    /// exposure (group/other read bits) recorded for private-key material.
    static func credentials(in bytes: [UInt8], path: String) -> [DiscoveredCredential] {
        guard CredentialFileParser.isCandidate(path: path, bytes: bytes) else { return [] }
        let items = CredentialFileParser().parse(bytes, path: path)
        guard !items.isEmpty else { return [] }
        let exposed = CredentialFileParser.mode(ofFile: path).map(CredentialFileParser.isReadableByOthers) ?? false
        return items.map { item in
            DiscoveredCredential(
                item: item, exposedPaths: exposed && CredentialPosture.holdsPrivateKey(item.kind) ? [path] : [])
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func scanFile(_ path: String, scanner: SecretScanner, options: PathScanOptions) -> FileScanOutcome {
        switch FileReader.read(path, maximumSize: options.maximumFileSize) {
        case .tooLarge:
            return .skippedTooLarge
        case .failed(let reason):
            return .unreadable(path: path, reason: reason)
        case .bytes(let bytes):
            return scanContent(bytes, path: path, credentials: credentials(in: bytes, path: path), scanner: scanner, options: options)
        }
    }

    /// One file's (or blob's) bytes, already read: binary content is skipped unless it held a
    /// credential, everything else goes through the secret scanner. Shared by files and `--git` blobs.
    static func scanContent(
        _ bytes: [UInt8], path: String, credentials: [DiscoveredCredential], scanner: SecretScanner, options: PathScanOptions
    ) -> FileScanOutcome {
        if options.skipBinaryFiles, bytes.prefix(PathScanOptions.binaryProbeLength).contains(0) {
            // A DER certificate or PKCS#12 file is binary: it counts as scanned when it held a credential.
            return credentials.isEmpty
                ? .skippedBinary(bytes: bytes.count) : .scanned(bytes: bytes.count, findings: [], credentials: credentials)
        }
        return .scanned(bytes: bytes.count, findings: scanner.scan(bytes, path: path), credentials: credentials)
    }
}
