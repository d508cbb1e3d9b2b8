import Foundation
import Testing

@testable import SignetDiscovery

/// `PathScanSummary`: the `summary: {json}` line and the `"summary"` object of `--format json`.
@Suite("Scan summary")
struct ScanSummaryTests {
    static let fileKeys: Set<String> = [
        "roots", "files_scanned", "bytes_scanned", "files_skipped_binary", "files_skipped_too_large", "unreadable",
        "findings", "findings_by_severity", "credentials", "seconds", "mb_per_second",
    ]

    func object(_ line: String) throws -> [String: Any] {
        #expect(line.hasPrefix("summary: {") && !line.contains("\n"))
        let json = Data(line.dropFirst("summary: ".count).utf8)
        return try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
    }

    @Test("a file scan: the documented keys, no git keys, rounded numbers")
    func fileScan() throws {
        var report = PathScanReport()
        report.filesScanned = 3
        report.bytesScanned = 2_500_000
        report.filesSkippedBinary = 1
        report.elapsedSeconds = 0.123456
        report.unreadable = [UnreadablePath(path: "/x", reason: "Permission denied")]
        report.findings = [SecretFinding(
            detectorID: "d", kind: .apiToken, severity: .critical, path: "a", line: 1, column: 1, preview: "p",
            fingerprint: "f", qualifiers: [], description: "d")]
        let summary = PathScanSummary(report, roots: ["src"])
        let object = try object(summary.line)
        #expect(Set(object.keys) == Self.fileKeys)
        #expect(object["files_scanned"] as? Int == 3 && object["bytes_scanned"] as? Int == 2_500_000)
        #expect(object["unreadable"] as? Int == 1 && object["findings"] as? Int == 1)
        #expect(object["seconds"] as? Double == 0.123)
        #expect(object["mb_per_second"] as? Double == 20.3)
        #expect((object["findings_by_severity"] as? [String: Int]) == ["low": 0, "medium": 0, "high": 0, "critical": 1])
        #expect(object["roots"] as? [String] == ["src"])
    }

    @Test("a git scan adds repository, blobs_scanned and commits")
    func gitScan() throws {
        var report = PathScanReport()
        report.filesScanned = 40
        report.git = GitHistoryFacts(repository: "https://github.com/acme/app.git", root: "/src/app", commits: 2000, blobs: 45, blobsScanned: 40)
        let object = try object(PathScanSummary(report, roots: ["/src/app"]).line)
        #expect(Set(object.keys) == Self.fileKeys.union(["repository", "blobs_scanned", "commits"]))
        #expect(object["commits"] as? Int == 2000 && object["blobs_scanned"] as? Int == 40)
        #expect(object["repository"] as? String == "https://github.com/acme/app.git")
        #expect(object["mb_per_second"] as? Double == 0)
    }
}
