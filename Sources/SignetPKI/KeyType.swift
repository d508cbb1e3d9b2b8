import Crypto
import _CryptoExtras
import X509

/// Key types Signet can generate for its CAs and for workloads that ask the
/// server to generate their key. P-256 is the default: fast to sign and
/// verify, and accepted by every SPIFFE and TLS client.
public enum KeyType: String, Sendable, CaseIterable, Codable {
    case p256 = "p256"
    case p384 = "p384"
    case rsa2048 = "rsa2048"
    case rsa3072 = "rsa3072"

    public init(parsing text: String) throws(PKIError) {
        let normalized = text.lowercased().replacingOccurrences(of: "-", with: "")
        switch normalized {
        case "p256", "ec256", "ecp256", "prime256v1", "secp256r1": self = .p256
        case "p384", "ec384", "ecp384", "secp384r1": self = .p384
        case "rsa2048": self = .rsa2048
        case "rsa3072", "rsa": self = .rsa3072
        default:
            throw .unsupported("key type '\(text)'; choose one of p256, p384, rsa2048, rsa3072")
        }
    }

    public func generate() throws -> Certificate.PrivateKey {
        switch self {
        case .p256: return Certificate.PrivateKey(P256.Signing.PrivateKey())
        case .p384: return Certificate.PrivateKey(P384.Signing.PrivateKey())
        case .rsa2048: return Certificate.PrivateKey(try _RSA.Signing.PrivateKey(keySize: .bits2048))
        case .rsa3072: return Certificate.PrivateKey(try _RSA.Signing.PrivateKey(keySize: .bits3072))
        }
    }
}

/// Errors of the PKI layer, phrased for the person who has to fix the input.
public enum PKIError: Error, Equatable, Sendable, CustomStringConvertible {
    case unsupported(String)
    case invalidInput(String)
    case badCSR(String)
    case io(String)
    case caUnavailable(String)

    public var description: String {
        switch self {
        case .unsupported(let s): "unsupported \(s)"
        case .invalidInput(let s): s
        case .badCSR(let s): "bad CSR: \(s)"
        case .io(let s): s
        case .caUnavailable(let s): "CA unavailable: \(s)"
        }
    }
}
