import Foundation
import SignetDiscovery
import Testing

@Suite("Keyed fingerprints")
struct FingerprintTests {
    @Test("HMAC-SHA256 fingerprints match RFC 4231 test cases 2 and 6")
    func hmacVectors() {
        let jefe = SecretFingerprinter(key: Array("Jefe".utf8))
        #expect(jefe.fingerprint(Array("what do ya want for nothing?".utf8))
            == "hmac-sha256:5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        let longKey = SecretFingerprinter(key: [UInt8](repeating: 0xAA, count: 131))
        #expect(longKey.fingerprint(Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8))
            == "hmac-sha256:60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    @Test("the same secret gets the same fingerprint in different files and a different one under another key")
    func stableAndKeyed() {
        let token = "xoxb-123456789012-1234567890123-" + String(repeating: "aB3", count: 8)
        let first = TestSupport.scan("SLACK=\(token)\n", path: "a/.env")
        let second = TestSupport.scan("const slack = \"\(token)\";\n", path: "b/app.js")
        #expect(first.count == 1 && second.count == 1)
        #expect(first.first?.fingerprint == second.first?.fingerprint)
        let other = SecretScanner(fingerprinter: SecretFingerprinter(key: Array("other".utf8)))
        #expect(other.scan(Array("SLACK=\(token)\n".utf8), path: "a/.env").first?.fingerprint != first.first?.fingerprint)
        let randomA = SecretScanner(fingerprinter: .random()).scan(Array("SLACK=\(token)\n".utf8), path: "a/.env")
        let randomB = SecretScanner(fingerprinter: .random()).scan(Array("SLACK=\(token)\n".utf8), path: "a/.env")
        #expect(randomA.first?.fingerprint != randomB.first?.fingerprint)
    }
}
