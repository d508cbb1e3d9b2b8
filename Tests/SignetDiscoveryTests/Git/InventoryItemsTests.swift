import Crypto
import Foundation
import SignetCore
import Testing

@testable import SignetDiscovery

/// `PathScanReport.inventoryItems(now:)`: what the CLI uploads to the inventory.
@Suite("Scan report inventory items")
struct InventoryItemsTests {
    let now = Date(timeIntervalSince1970: 1_750_000_000)

    func finding(
        _ kind: SecretKind, detector: String = "detector", path: String, line: Int = 1, fingerprint: String = "hmac-sha256:aa",
        severity: SecretSeverity = .high, qualifiers: [SecretQualifier] = [], commit: String? = nil, repository: String? = nil
    ) -> SecretFinding {
        SecretFinding(
            detectorID: detector, kind: kind, severity: severity, path: path, line: line, column: 3, preview: "AKIA…ZAM2",
            fingerprint: fingerprint, qualifiers: qualifiers, description: "test", commit: commit, repository: repository)
    }

    @Test("one item per fingerprint, every sighting a location, preview and detector from the most severe")
    func mergesByFingerprint() throws {
        var report = PathScanReport()
        report.findings = [
            finding(.cloudAccessKey, detector: "generic-key", path: "a/.env", line: 4, severity: .medium),
            finding(.cloudAccessKey, detector: "aws-access-key-id", path: "b/config.yml", line: 9, severity: .critical),
            finding(.password, path: "c/db.env", fingerprint: "hmac-sha256:bb"),
        ]
        let items = report.inventoryItems(now: now)
        #expect(items.count == 2)
        let key = try #require(items.first)
        #expect(key.kind == .cloudAccessKey && key.fingerprint == "hmac-sha256:aa")
        #expect(key.id == InventoryItem.stableID(kind: .cloudAccessKey, fingerprint: "hmac-sha256:aa"))
        #expect(key.detector == "aws-access-key-id" && key.preview == "AKIA…ZAM2")
        #expect(key.locations == [
            InventoryItem.Location(type: "file", target: "a/.env", line: 4, column: 3, firstSeen: now),
            InventoryItem.Location(type: "file", target: "b/config.yml", line: 9, column: 3, firstSeen: now),
        ])
        #expect(items[1].kind == .password && items[1].notes.isEmpty)
    }

    @Test("kinds follow the detector's SecretKind; a JWT is an API token unless plainly a service-account token")
    func kinds() {
        #expect(PathScanReport.inventoryKind(for: finding(.cloudAccessKey, path: "x")) == .cloudAccessKey)
        #expect(PathScanReport.inventoryKind(for: finding(.password, path: "x")) == .password)
        #expect(PathScanReport.inventoryKind(for: finding(.privateKey, path: "x")) == .privateKey)
        #expect(PathScanReport.inventoryKind(for: finding(.apiToken, path: "x")) == .apiToken)
        #expect(PathScanReport.inventoryKind(for: finding(.jwt, detector: "jwt", path: "web/session.txt")) == .apiToken)
        #expect(PathScanReport.inventoryKind(for: finding(.jwt, detector: "jwt", path: ".kube/config")) == .apiToken)
        let mounted = finding(.jwt, detector: "jwt", path: "/var/run/secrets/kubernetes.io/serviceaccount/token")
        #expect(PathScanReport.inventoryKind(for: mounted) == .kubernetesToken)
        #expect(PathScanReport.inventoryKind(for: finding(.jwt, detector: "kubernetes-sa-token", path: "x")) == .kubernetesToken)
    }

    @Test("test-file only when every sighting is in a test or example file")
    func testFileNote() {
        var report = PathScanReport()
        report.findings = [
            finding(.apiToken, path: "tests/fixtures/token.txt"),
            finding(.apiToken, path: "src/app.test.ts"),
            finding(.apiToken, path: ".env.example", fingerprint: "hmac-sha256:bb"),
            finding(.apiToken, path: "deploy/prod.env", fingerprint: "hmac-sha256:bb"),
        ]
        let items = report.inventoryItems(now: now)
        #expect(items.map(\.notes) == [["test-file"], []])
    }

    @Test("test and example paths", arguments: [
        ("tests/data.env", true), ("src/__tests__/a.js", true), ("pkg/db_test.go", true), ("test_settings.py", true),
        ("web/app.spec.ts", true), ("Sources/DBTests.swift", true), ("config/.env.example", true),
        ("config.sample.yml", true), ("examples/deploy.yaml", true), ("testdata/key.pem", true),
        ("deploy/prod.env", false), ("src/latest.txt", false), ("contest/config.yml", false), ("attestation.go", false),
        ("Contest.swift", false), ("test.py", true), ("protest.txt", false),
    ])
    func testPaths(path: String, expected: Bool) {
        #expect(PathScanReport.isTestOrExamplePath(path) == expected, "\(path)")
    }

    @Test("git findings are located by repository, line and commit")
    func gitLocations() throws {
        var report = PathScanReport()
        report.findings = [
            finding(.apiToken, path: "ci/deploy.sh", line: 7, commit: "c1", repository: "https://github.com/acme/app.git"),
            finding(.apiToken, path: "ci/old.sh", line: 2, commit: "c0", repository: "https://github.com/acme/app.git"),
        ]
        let item = try #require(report.inventoryItems(now: now).first)
        #expect(item.locations == [
            InventoryItem.Location(type: "git", target: "https://github.com/acme/app.git/ci/deploy.sh", line: 7, column: 3, commit: "c1", firstSeen: now),
            InventoryItem.Location(type: "git", target: "https://github.com/acme/app.git/ci/old.sh", line: 2, column: 3, commit: "c0", firstSeen: now),
        ])
        #expect(item.attributes["repository"] == "https://github.com/acme/app.git")
    }

    @Test("credentials are included, world-readable when exposed; a parsed key is not also a secret item")
    func credentialsFromARealScan() async throws {
        let root = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let keyPath = "\(root)/deploy.pem"
        try P256.Signing.PrivateKey().pemRepresentation.write(toFile: keyPath, atomically: true, encoding: .utf8)
        #expect(chmod(keyPath, 0o644) == 0)
        try "AWS_ACCESS_KEY_ID=AKIAQYLPMN5HHHFPZAM2\n".write(toFile: "\(root)/prod.env", atomically: true, encoding: .utf8)
        try "AWS_ACCESS_KEY_ID=AKIAQYLPMN5HHHFPZAM2\n".write(toFile: "\(root)/prod-copy.env", atomically: true, encoding: .utf8)
        let report = await PathScanner(scanner: TestSupport.scanner).scan([root])
        #expect(report.findings.contains { $0.kind == .privateKey })  // the block is a finding in the report...
        let items = report.inventoryItems(now: now)
        #expect(items.count == 2)  // ...but one key is one inventory item: the parsed credential
        let key = try #require(items.first { $0.kind == .privateKey })
        #expect(key.fingerprint.hasPrefix("sha256:") && key.algorithm != nil)
        #expect(key.notes == ["world-readable"])
        let aws = try #require(items.first { $0.kind == .cloudAccessKey })
        #expect(aws.locations.map(\.target).sorted() == ["\(root)/prod-copy.env", "\(root)/prod.env"])
        #expect(aws.detector == "aws-access-key-id" && aws.fingerprint.hasPrefix("hmac-sha256:"))
        let encoded = try JSONEncoder().encode(items)
        #expect(!String(decoding: encoded, as: UTF8.self).contains("AKIAQYLPMN5HHHFPZAM2"))
    }
}
