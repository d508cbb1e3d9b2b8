import Crypto
import Foundation
import SwiftASN1

/// What the scanner records about a public key: its algorithm, size and the fingerprint that ties
/// together every sighting of it (a certificate, its private key, an SSH key file).
///
/// The fingerprint is `sha256:<hex>` of the DER `SubjectPublicKeyInfo`, the same bytes a
/// certificate carries, so `openssl pkey -pubout -outform DER | sha256sum` reproduces it.
struct PublicKeyDescription: Hashable, Sendable {
    /// `RSA`, `EC`, `Ed25519`, `Ed448`, `DSA`, or the dotted OID of anything else.
    var algorithm: String
    /// RSA/DSA modulus bits, the curve's size for EC, 256 for Ed25519.
    var keySize: Int?
    /// `P-256`, `P-384`, `P-521`, `P-192`... for EC keys.
    var curve: String?
    var fingerprint: String

    /// `EC P-256`, `RSA`, `Ed25519`: the algorithm as the inventory shows it.
    var displayAlgorithm: String { curve.map { "\(algorithm) \($0)" } ?? algorithm }

    init(spki: [UInt8]) throws {
        fingerprint = Self.fingerprint(of: spki)
        let root = try DERWalk.children(try DER.parse(spki))
        guard root.count == 2 else { throw DERWalk.Malformed("SubjectPublicKeyInfo has \(root.count) fields") }
        let algorithmFields = try DERWalk.children(root[0])
        guard let first = algorithmFields.first else { throw DERWalk.Malformed("empty AlgorithmIdentifier") }
        let oid = try DERWalk.oid(first)
        let key = try DERWalk.bitStringBytes(root[1])
        switch oid {
        case KeyOID.rsa, KeyOID.rsaPSS:
            algorithm = "RSA"
            let fields = try DERWalk.children(try DER.parse(key))
            guard let modulus = fields.first else { throw DERWalk.Malformed("RSAPublicKey without a modulus") }
            keySize = DERWalk.bitLength(try DERWalk.primitive(modulus, .integer))
        case KeyOID.ecPublicKey:
            algorithm = "EC"
            if algorithmFields.count > 1, let curveOID = try? DERWalk.oid(algorithmFields[1]) {
                if let (name, bits) = KeyOID.curves[curveOID] {
                    curve = name
                    keySize = bits
                } else {
                    curve = curveOID.description
                }
            }
        case KeyOID.ed25519:
            algorithm = "Ed25519"
            keySize = 256
        case KeyOID.ed448:
            algorithm = "Ed448"
            keySize = 456
        case KeyOID.dsa:
            algorithm = "DSA"
            if algorithmFields.count > 1, let p = try? DERWalk.children(algorithmFields[1]).first {
                keySize = DERWalk.bitLength(try DERWalk.primitive(p, .integer))
            }
        default:
            algorithm = oid.description
        }
    }

    static func fingerprint(of bytes: some Sequence<UInt8>) -> String {
        "sha256:" + SHA256.hash(data: Array(bytes)).map { String(format: "%02x", $0) }.joined()
    }

    /// Keys too small to resist factoring or discrete-log attacks today (NIST SP 800-131A).
    var isWeak: Bool {
        switch algorithm {
        case "RSA", "DSA": (keySize ?? 0) < 2048
        case "EC": (keySize ?? 256) < 224
        default: false
        }
    }
}
