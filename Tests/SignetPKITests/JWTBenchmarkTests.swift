import Crypto
import Foundation
import Testing

@testable import SignetPKI

/// Rough throughput of minting and verifying against raw ECDSA, printed rather than asserted
/// (numbers depend on the machine and build mode). Opt in with `SIGNET_JWT_BENCH=1`.
@Suite("JWT throughput", .enabled(if: ProcessInfo.processInfo.environment["SIGNET_JWT_BENCH"] != nil))
struct JWTBenchmarkTests {
    typealias F = JWTFixture

    static func perSecond(_ iterations: Int, _ body: () throws -> Void) rethrows -> Double {
        let clock = ContinuousClock()
        let elapsed = try clock.measure {
            for _ in 0..<iterations { try body() }
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return Double(iterations) / seconds
    }

    @Test("ES256 mint and verify vs raw P-256 sign and verify")
    func es256() throws {
        let iterations = Int(ProcessInfo.processInfo.environment["SIGNET_JWT_BENCH_N"] ?? "") ?? 2000
        let raw = P256.Signing.PrivateKey()
        let message = Array(repeating: UInt8(0x61), count: 250)
        let signature = try raw.signature(for: message)
        let claims = F.claims()
        let token = JWTSigner.sign(claims: claims, key: F.es256)
        let verifier = F.verifier([F.es256.publicKey])

        let rawSign = try Self.perSecond(iterations) { _ = try raw.signature(for: message) }
        let mint = Self.perSecond(iterations) { _ = JWTSigner.sign(claims: claims, key: F.es256) }
        let rawVerify = Self.perSecond(iterations) { _ = raw.publicKey.isValidSignature(signature, for: message) }
        let verify = try Self.perSecond(iterations) { _ = try verifier.verify(token: token, audience: F.audience) }
        print(
            """
            JWT bench (\(iterations) iterations, token \(token.utf8.count) bytes):
              raw P256 sign   \(Int(rawSign))/s
              JWT ES256 mint  \(Int(mint))/s  (\(Int(mint / rawSign * 100))% of raw)
              raw P256 verify \(Int(rawVerify))/s
              JWT ES256 verify \(Int(verify))/s  (\(Int(verify / rawVerify * 100))% of raw)
            """)
    }
}
