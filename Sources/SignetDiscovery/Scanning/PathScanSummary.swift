import Foundation

/// The machine-readable account of one `scan path` run: printed by the CLI as the final stderr line
/// `summary: {json}` after every run, and included as `"summary"` in `--format json`, so scripts
/// and CI read the same numbers whatever the output format.
///
/// Keys are snake_case; `repository`, `blobs_scanned` and `commits` appear only for `--git`.
public struct PathScanSummary: Sendable, Codable, Hashable {
    public var roots: [String]
    public var repository: String?
    /// Files scanned; with `--git`, blobs (one version of one file each).
    public var filesScanned: Int
    public var bytesScanned: Int
    public var filesSkippedBinary: Int
    public var filesSkippedTooLarge: Int
    /// Paths (or `commit:path` blobs) that could not be read.
    public var unreadable: Int
    public var findings: Int
    /// Findings per severity (`low` ... `critical`, every key present).
    public var findingsBySeverity: [String: Int]
    public var credentials: Int
    /// Wall time of the scan, in seconds (three decimals).
    public var seconds: Double
    /// Decimal megabytes scanned per second of wall time (one decimal).
    public var mbPerSecond: Double
    public var blobsScanned: Int?
    public var commits: Int?

    public init(_ report: PathScanReport, roots: [String]) {
        self.roots = roots
        repository = report.git?.repository
        filesScanned = report.filesScanned
        bytesScanned = report.bytesScanned
        filesSkippedBinary = report.filesSkippedBinary
        filesSkippedTooLarge = report.filesSkippedTooLarge
        unreadable = report.unreadable.count
        findings = report.findings.count
        var bySeverity: [String: Int] = [:]
        for severity in SecretSeverity.allCases { bySeverity[severity.description] = 0 }
        for finding in report.findings { bySeverity[finding.severity.description, default: 0] += 1 }
        findingsBySeverity = bySeverity
        credentials = report.credentials.count
        seconds = (report.elapsedSeconds * 1000).rounded() / 1000
        mbPerSecond = (report.megabytesPerSecond * 10).rounded() / 10
        blobsScanned = report.git?.blobsScanned
        commits = report.git?.commits
    }

    enum CodingKeys: String, CodingKey {
        case roots, repository
        case filesScanned = "files_scanned"
        case bytesScanned = "bytes_scanned"
        case filesSkippedBinary = "files_skipped_binary"
        case filesSkippedTooLarge = "files_skipped_too_large"
        case unreadable, findings
        case findingsBySeverity = "findings_by_severity"
        case credentials, seconds
        case mbPerSecond = "mb_per_second"
        case blobsScanned = "blobs_scanned"
        case commits
    }

    /// Compact JSON with sorted keys, on one line (no newline inside or at the end).
    public func jsonLine() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(self) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// The stderr line: `summary: {json}`.
    public var line: String { "summary: " + jsonLine() }
}
