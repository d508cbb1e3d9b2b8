import Foundation
import SignetDiscovery
import SignetDiscoveryCorpus
import Testing

@Suite("Secret scanner engine")
struct EngineTests {
    private func ghToken(_ prefix: String = "ghp_") -> String {
        let random = "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy"
        return prefix + random + CorpusEncoding.base62(CorpusEncoding.crc32(Array(random.utf8)))
    }

    @Test("the catalog has at least 40 distinct detectors")
    func catalogSize() {
        let ids = SecretCatalog.standard.detectors.map(\.id)
        #expect(Set(ids).count == ids.count)
        #expect(ids.count >= 40)
    }

    @Test("line and column point at the secret")
    func position() throws {
        let text = "PORT=8080\n# comment\n  token: \(ghToken())\n"
        let finding = try #require(TestSupport.scan(text, path: "x.yaml").first)
        #expect(finding.detectorID == "github-pat")
        #expect(finding.line == 3)
        #expect(finding.column == 10)
        #expect(finding.preview == "ghp_…" + ghToken().suffix(4))
    }

    @Test("GitHub tokens with a wrong checksum are not reported")
    func githubChecksum() {
        var token = Array(ghToken().utf8)
        token[10] = token[10] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(TestSupport.scan("GITHUB=\(String(decoding: token, as: UTF8.self))\n").isEmpty)
        #expect(TestSupport.scan("GITHUB=\(ghToken())\n").map(\.detectorID) == ["github-pat"])
    }

    @Test("a specific token inside a keyword assignment is reported once, as the specific detector")
    func specificWins() {
        let findings = TestSupport.scan("password = \"\(ghToken())\"\n", path: "app.py")
        #expect(findings.map(\.detectorID) == ["github-pat"])
    }

    @Test("generic assignments require a literal, high-entropy value")
    func genericGate() {
        #expect(TestSupport.scan("DB_PASSWORD=Zq8#Lm2v!Tp9Rk\n").map(\.detectorID) == ["generic-password"])
        for value in ["changeme", "${DB_PASSWORD}", "<password>", "xxxxxxxxxxxx", "********", "password", "aaaaaaaaaaaa"] {
            #expect(TestSupport.scan("DB_PASSWORD=\(value)\n").isEmpty, "\(value) must not match")
        }
        // In source code an unquoted right-hand side is an expression.
        #expect(TestSupport.scan("password = os.environ[\"DB\"]\ntoken = get_token_value()\n", path: "a.py").isEmpty)
        // The keyword must end the key: a path to a password file is not a password.
        #expect(TestSupport.scan("PASSWORD_FILE=/run/secrets/Zq8Lm2vTp9Rk\n").isEmpty)
    }

    @Test("documented example AWS keys are ignored, real-shaped ones are not")
    func awsExamples() {
        let docs = "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\nAWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
        #expect(TestSupport.scan(docs).isEmpty)
        let real = "AWS_ACCESS_KEY_ID=AKIAQ2E3A7F3BZ4C6556\naws_secret_access_key = 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\n"
        #expect(TestSupport.scan(real).map(\.detectorID) == ["aws-access-key-id", "aws-secret-access-key"])
    }

    @Test("encrypted private keys are flagged and rated lower")
    func encryptedKeys() throws {
        var r = CorpusRandom(seed: 7)
        let body = CorpusEncoding.base64([0x30, 0x82] + r.bytes(600))
        let plain = "-----BEGIN PRIVATE KEY-----\n\(body)\n-----END PRIVATE KEY-----\n"
        let encrypted = "-----BEGIN ENCRYPTED PRIVATE KEY-----\n\(body)\n-----END ENCRYPTED PRIVATE KEY-----\n"
        let plainFinding = try #require(TestSupport.scan(plain, path: "k.pem").first)
        let encryptedFinding = try #require(TestSupport.scan(encrypted, path: "k.pem").first)
        #expect(plainFinding.qualifiers.isEmpty && plainFinding.severity == .critical)
        #expect(encryptedFinding.qualifiers == [.encrypted] && encryptedFinding.severity < plainFinding.severity)
        // Same key material, same fingerprint, whatever the armour.
        #expect(plainFinding.fingerprint == encryptedFinding.fingerprint)
        // A header without a body (code that checks for keys) is not a key.
        #expect(TestSupport.scan("if s.startswith(\"-----BEGIN PRIVATE KEY-----\"):\n", path: "a.py").isEmpty)
        // Certificates and public keys are not secrets.
        #expect(TestSupport.scan(plain.replacingOccurrences(of: "PRIVATE KEY", with: "CERTIFICATE"), path: "c.pem").isEmpty)
    }

    @Test("a JWT needs a JSON header with alg and a signature")
    func jwt() {
        let header = CorpusEncoding.base64URL(Array(#"{"alg":"RS256","kid":"k1"}"#.utf8))
        let payload = CorpusEncoding.base64URL(Array(#"{"sub":"spiffe://td/w","exp":1900000000}"#.utf8))
        let signature = String(repeating: "Zm9vYmFy", count: 6)
        #expect(TestSupport.scan("Authorization: Bearer \(header).\(payload).\(signature)\n").map(\.detectorID) == ["jwt"])
        #expect(TestSupport.scan("x: \(header).\(payload).\n").isEmpty)
        let notJSON = CorpusEncoding.base64URL(Array("{no alg here at all}".utf8))
        #expect(TestSupport.scan("x: \(notJSON).\(payload).\(signature)\n").isEmpty)
    }
}

@Suite("Path scanning")
struct PathScanTests {
    @Test("binary and oversized files are skipped and counted; bytes scanned are reported")
    func skipping() async throws {
        let root = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let token = "sk_live_" + String(repeating: "4eC39HqLyjWDarjtT1zdp7dc", count: 2)
        try Data(("STRIPE=\(token)\n").utf8).write(to: URL(fileURLWithPath: root + "/a.env"))
        try Data([0x7F, 0x45, 0x4C, 0x46, 0x00] + Array("STRIPE=\(token)\n".utf8)).write(to: URL(fileURLWithPath: root + "/bin"))
        try Data(Array(repeating: UInt8(ascii: "a"), count: 4096) + Array("\nSTRIPE=\(token)\n".utf8))
            .write(to: URL(fileURLWithPath: root + "/big.txt"))
        try FileManager.default.createDirectory(atPath: root + "/.git", withIntermediateDirectories: true)
        try Data(("STRIPE=\(token)\n").utf8).write(to: URL(fileURLWithPath: root + "/.git/config"))

        let scanner = PathScanner(scanner: TestSupport.scanner, options: PathScanOptions(maximumFileSize: 1024, concurrency: 2))
        let report = await scanner.scan([root])
        #expect(report.findings.map(\.detectorID) == ["stripe-secret-key"])
        #expect(report.findings.first?.path == root + "/a.env")
        #expect(report.filesScanned == 1)
        #expect(report.filesSkippedBinary == 1)
        #expect(report.filesSkippedTooLarge == 1)
        #expect(report.bytesScanned == ("STRIPE=\(token)\n").utf8.count)
    }
}
