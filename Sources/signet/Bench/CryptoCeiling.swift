import Crypto
import Foundation

/// The crypto-only ceiling an issuance path is compared with: the same primitive work
/// (ECDSA P-256 verify of the CSR + ECDSA P-256 sign of the certificate; or one ES256
/// sign for a JWT) on every core, with nothing else: no parsing, encoding, I/O or network.
enum CryptoCeiling {
    enum Work: Sendable {
        case csrVerifyPlusSign
        case es256Sign
        /// Token exchange: verify the ES256 subject token, sign the issued ES256 token.
        case es256VerifyPlusSign
    }

    static func measure(_ work: Work, duration: Duration) async -> Double {
        let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start.advanced(by: duration)
        let total = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<cores {
                group.addTask {
                    // Detached from the cooperative pool's fairness: each task spins one core.
                    let signer = P256.Signing.PrivateKey()
                    let csrKey = P256.Signing.PrivateKey()
                    let tbs = [UInt8](repeating: 0x5A, count: 420)  // about the size of an SVID's TBSCertificate
                    let csrBody = [UInt8](repeating: 0x3C, count: 150)  // about a CSR's CertificationRequestInfo
                    let csrSignature = try! csrKey.signature(for: csrBody)
                    var count = 0
                    while clock.now < deadline {
                        for _ in 0..<16 {
                            switch work {
                            case .csrVerifyPlusSign:
                                precondition(csrKey.publicKey.isValidSignature(csrSignature, for: csrBody))
                                _ = try! signer.signature(for: tbs)
                            case .es256Sign:
                                _ = try! signer.signature(for: tbs[..<200])
                            case .es256VerifyPlusSign:
                                precondition(csrKey.publicKey.isValidSignature(csrSignature, for: csrBody))
                                _ = try! signer.signature(for: tbs[..<200])
                            }
                        }
                        count += 16
                    }
                    return count
                }
            }
            var sum = 0
            for await n in group { sum += n }
            return sum
        }
        let elapsed = start.duration(to: clock.now)
        return Double(total) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }
}
