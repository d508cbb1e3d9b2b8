import Foundation
import SignetDiscovery

/// `--format json`: every finding (never a secret value: a redacted preview and a keyed fingerprint)
/// plus the accounting that says how much was actually looked at.
enum ScanReportJSON {
    static func render(_ report: PathScanReport, roots: [String]) throws -> String {
        let findings: [[String: Any]] = report.findings.map { finding in
            var object: [String: Any] = [
                "detector_id": finding.detectorID, "kind": finding.kind.rawValue, "severity": finding.severity.description,
                "path": finding.path, "line": finding.line, "column": finding.column, "preview": finding.preview,
                "fingerprint": finding.fingerprint, "qualifiers": finding.qualifiers.map(\.rawValue),
                "description": finding.description,
            ]
            // --git: the path is in the repository, at the commit that introduced the blob.
            if let commit = finding.commit { object["commit"] = commit }
            if let repository = finding.repository { object["repository"] = repository }
            return object
        }
        let document: [String: Any] = [
            "findings": findings,
            "credentials": report.credentials.map(ScanCredentialFormat.json),
            "summary": summary(report, roots: roots),
            "unreadable": report.unreadable.map { ["path": $0.path, "reason": $0.reason] },
        ]
        let data = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// The same object as the `summary: {json}` line on stderr (`PathScanSummary`).
    static func summary(_ report: PathScanReport, roots: [String]) -> [String: Any] {
        let line = Data(PathScanSummary(report, roots: roots).jsonLine().utf8)
        return (try? JSONSerialization.jsonObject(with: line)) as? [String: Any] ?? [:]
    }
}

/// `--format table`: one line per finding, then the summary.
enum ScanReportTable {
    static func render(_ report: PathScanReport) -> String {
        var rows = [["SEVERITY", "DETECTOR", "LOCATION", "PREVIEW"]]
        for finding in report.findings {
            let qualifiers = finding.qualifiers.isEmpty ? "" : " (" + finding.qualifiers.map(\.rawValue).joined(separator: ", ") + ")"
            let commit = finding.commit.map { " @ " + $0.prefix(12) } ?? ""
            rows.append([finding.severity.description, finding.detectorID, "\(finding.path):\(finding.line):\(finding.column)" + commit,
                         finding.preview + qualifiers])
        }
        var out = ""
        if rows.count > 1 {
            var widths = rows[0].map(\.count)
            for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
            for row in rows {
                out += row.enumerated().map { i, cell in
                    i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                }.joined(separator: "  ") + "\n"
            }
            out += "\n"
        }
        out += ScanCredentialFormat.table(report.credentials)
        return out + summaryLine(report) + "\n"
    }

    static func summaryLine(_ report: PathScanReport) -> String {
        let counts = SecretSeverity.allCases.reversed().map { severity in
            "\(report.findings.filter { $0.severity == severity }.count) \(severity)"
        }.joined(separator: ", ")
        return String(format: "%d findings (%@), %d credentials; %d files, %.1f MB in %.2f s (%.1f MB/s); skipped %d binary, %d too large, %d unreadable",
                      report.findings.count, counts, report.credentials.count, report.filesScanned, Double(report.bytesScanned) / 1e6,
                      report.elapsedSeconds, report.megabytesPerSecond, report.filesSkippedBinary,
                      report.filesSkippedTooLarge, report.unreadable.count)
            + (report.git.map { "; history of \($0.repository): \($0.commits) commits, \($0.blobs) distinct blobs" } ?? "")
    }
}

/// `--format sarif`: SARIF 2.1.0 for code-scanning tools (GitHub code scanning, GitLab, IDE viewers).
///
/// One rule per detector in the catalog, so rule metadata is stable between runs; each result's
/// location is relative to the scanned root it was found under (`uriBaseId` ROOT<n>, resolved in
/// `originalUriBaseIds`), and `partialFingerprints` carries the keyed fingerprint so a code-scanning
/// service tracks one secret across commits without ever receiving it.
enum SARIFReport {
    static let schema = "https://json.schemastore.org/sarif-2.1.0.json"

    static func render(_ report: PathScanReport, roots: [String], catalog: SecretCatalog = .standard) throws -> String {
        let bases = roots.map(RootBase.init)
        let ruleIndex = Dictionary(uniqueKeysWithValues: catalog.detectors.enumerated().map { ($1.id, $0) })
        let rules: [[String: Any]] = catalog.detectors.map { detector in
            [
                "id": detector.id,
                "name": ruleName(detector.id),
                "shortDescription": ["text": detector.description],
                "fullDescription": ["text": detector.description],
                "help": ["text": detector.kind.remediation, "markdown": "**Fix:** " + detector.kind.remediation],
                "defaultConfiguration": ["level": level(detector.severity)],
                "properties": [
                    "tags": ["security", "secret", detector.kind.rawValue],
                    "security-severity": securitySeverity(detector.severity),
                ] as [String: Any],
            ]
        }
        var originalBases: [String: Any] = [:]
        for (index, base) in bases.enumerated() { originalBases["ROOT\(index)"] = ["uri": base.directoryURI] }
        let results: [[String: Any]] = report.findings.map { finding in
            // A --git finding's path is relative to the repository, passed as the only root (ROOT0).
            let (baseIndex, relative) = finding.commit == nil ? locate(finding.path, in: bases) : (bases.isEmpty ? nil : 0, finding.path)
            var artifact: [String: Any] = ["uri": encode(relative)]
            if let baseIndex { artifact["uriBaseId"] = "ROOT\(baseIndex)" }
            var result: [String: Any] = [
                "ruleId": finding.detectorID,
                "level": level(finding.severity),
                "message": ["text": message(finding)],
                "locations": [[
                    "physicalLocation": [
                        "artifactLocation": artifact,
                        "region": ["startLine": finding.line, "startColumn": finding.column],
                    ] as [String: Any],
                ]],
                "partialFingerprints": ["secretFingerprint/v1": finding.fingerprint],
                "properties": ["kind": finding.kind.rawValue, "severity": finding.severity.description,
                               "preview": finding.preview, "qualifiers": finding.qualifiers.map(\.rawValue)] as [String: Any],
            ]
            if let index = ruleIndex[finding.detectorID] { result["ruleIndex"] = index }
            if let commit = finding.commit, var properties = result["properties"] as? [String: Any] {
                properties["commit"] = commit
                properties["repository"] = finding.repository
                result["properties"] = properties
            }
            return result
        }
        let credentialRules = ScanCredentialFormat.sarifRules(firstIndex: rules.count)
        let credentialResults = ScanCredentialFormat.sarifResults(
            report.credentials, firstIndex: rules.count, location: { path, line in
                let (baseIndex, relative) = locate(path, in: bases)
                var artifact: [String: Any] = ["uri": encode(relative)]
                if let baseIndex { artifact["uriBaseId"] = "ROOT\(baseIndex)" }
                var location: [String: Any] = ["artifactLocation": artifact]
                if let line { location["region"] = ["startLine": line] }
                return ["physicalLocation": location]
            })
        let run: [String: Any] = [
            "tool": ["driver": [
                "name": "signet",
                "rules": rules + credentialRules,
            ] as [String: Any]],
            "originalUriBaseIds": originalBases,
            "columnKind": "unicodeCodePoints",
            "results": results + credentialResults,
            "invocations": [["executionSuccessful": true]],
        ]
        let document: [String: Any] = ["$schema": schema, "version": "2.1.0", "runs": [run]]
        let data = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// A scanned root as a SARIF base: a directory is its own base; a single file's base is its directory.
    struct RootBase {
        let prefix: String  // path as walked, with a trailing slash, for directories; the file path for files
        let isDirectory: Bool
        let directoryURI: String

        init(_ root: String) {
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory)
            self.isDirectory = isDirectory.boolValue
            prefix = isDirectory.boolValue && !root.hasSuffix("/") ? root + "/" : root
            let absolute = URL(fileURLWithPath: root).standardizedFileURL
            let directory = isDirectory.boolValue ? absolute : absolute.deletingLastPathComponent()
            let uri = directory.absoluteString
            directoryURI = uri.hasSuffix("/") ? uri : uri + "/"
        }
    }

    /// The root a finding's path was walked from (the longest matching prefix) and the path below it.
    static func locate(_ path: String, in bases: [RootBase]) -> (Int?, String) {
        var best: (Int, String)?
        for (index, base) in bases.enumerated() {
            if base.isDirectory, path.hasPrefix(base.prefix) {
                let relative = String(path.dropFirst(base.prefix.count))
                if best == nil || relative.count < best!.1.count { best = (index, relative) }
            } else if !base.isDirectory, path == base.prefix {
                return (index, (path as NSString).lastPathComponent)
            }
        }
        if let best { return (best.0, best.1) }
        return (nil, path)
    }

    static func encode(_ relative: String) -> String {
        relative.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? relative
    }

    static func message(_ finding: SecretFinding) -> String {
        let encrypted = finding.qualifiers.contains(.encrypted) ? " The key is encrypted with a passphrase." : ""
        return "\(finding.description) Redacted value: \(finding.preview).\(encrypted)"
    }

    static func level(_ severity: SecretSeverity) -> String {
        switch severity {
        case .critical, .high: "error"
        case .medium: "warning"
        case .low: "note"
        }
    }

    /// GitHub code scanning's numeric scale (critical >= 9.0, high >= 7.0, medium >= 4.0).
    static func securitySeverity(_ severity: SecretSeverity) -> String {
        switch severity {
        case .critical: "9.5"
        case .high: "8.0"
        case .medium: "5.5"
        case .low: "3.0"
        }
    }

    /// `aws-access-key-id` -> `AwsAccessKeyId`, SARIF's conventional rule name shape.
    static func ruleName(_ id: String) -> String {
        id.split(separator: "-").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }
}
