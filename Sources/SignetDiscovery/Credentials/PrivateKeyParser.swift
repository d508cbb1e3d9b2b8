import Crypto
import Foundation
import SwiftASN1

/// Derives the public key (as `SubjectPublicKeyInfo` DER) from unencrypted private keys: PKCS#1 RSA,
/// SEC1 EC, PKCS#8 (RSA, EC, Ed25519, Ed448 v2), and the OpenSSL DSA format.
///
/// Parsed structurally with SwiftASN1 rather than through swift-crypto's key types, which refuse
/// RSA below 2048 bits and curves such as P-192: weak keys are exactly what a scan must report.
/// No private component is kept or returned.
enum PrivateKeyParser {
    /// `RSA PRIVATE KEY`: RSAPrivateKey ::= SEQUENCE { version, n, e, d, ... }.
    static func pkcs1(_ der: [UInt8]) throws -> [UInt8] {
        let fields = try DERWalk.children(try DER.parse(der))
        guard fields.count >= 3, fields[1].identifier == .integer, fields[2].identifier == .integer else {
            throw DERWalk.Malformed("not a PKCS#1 RSAPrivateKey")
        }
        return DERWalk.rsaSPKI(modulusDER: Array(fields[1].encodedBytes), exponentDER: Array(fields[2].encodedBytes))
    }

    /// `EC PRIVATE KEY`: ECPrivateKey ::= SEQUENCE { 1, privateKey OCTET STRING, [0] curve, [1] publicKey }.
    /// The curve may come from the enclosing PKCS#8 algorithm identifier instead.
    static func sec1(_ der: some Collection<UInt8>, curve outerCurve: ASN1ObjectIdentifier? = nil) throws -> [UInt8] {
        let fields = try DERWalk.children(try DER.parse(Array(der)))
        guard fields.count >= 2 else { throw DERWalk.Malformed("not a SEC1 ECPrivateKey") }
        let scalar = try DERWalk.octets(fields[1])
        var curve = outerCurve
        var point: ArraySlice<UInt8>?
        for field in fields.dropFirst(2) {
            if field.identifier == DERWalk.contextTag(0), let inner = try DERWalk.children(field).first {
                curve = try DERWalk.oid(inner)
            } else if field.identifier == DERWalk.contextTag(1), let inner = try DERWalk.children(field).first {
                point = try DERWalk.bitStringBytes(inner)
            }
        }
        guard let curve else { throw DERWalk.Malformed("EC private key without a named curve") }
        if let point { return DERWalk.ecSPKI(curve: curve, point: point) }
        return DERWalk.ecSPKI(curve: curve, point: try derivePoint(scalar: scalar, curve: curve))
    }

    /// `PRIVATE KEY`: PrivateKeyInfo ::= SEQUENCE { version, AlgorithmIdentifier, privateKey OCTET STRING,
    /// [0] attributes OPTIONAL, [1] publicKey OPTIONAL (v2) }.
    static func pkcs8(_ der: [UInt8]) throws -> [UInt8] {
        let fields = try DERWalk.children(try DER.parse(der))
        guard fields.count >= 3 else { throw DERWalk.Malformed("not a PKCS#8 PrivateKeyInfo") }
        let algorithm = try DERWalk.children(fields[1])
        guard let first = algorithm.first else { throw DERWalk.Malformed("empty AlgorithmIdentifier") }
        let oid = try DERWalk.oid(first)
        let inner = try DERWalk.octets(fields[2])
        switch oid {
        case KeyOID.rsa, KeyOID.rsaPSS:
            return try pkcs1(Array(inner))
        case KeyOID.ecPublicKey:
            let curve = algorithm.count > 1 ? try? DERWalk.oid(algorithm[1]) : nil
            return try sec1(inner, curve: curve)
        case KeyOID.ed25519, KeyOID.ed448:
            if let publicField = fields.dropFirst(3).first(where: { $0.identifier == DERWalk.contextTag(1) }),
               case .primitive(let bytes) = publicField.content, bytes.count > 1 {
                return DERWalk.edSPKI(oid, raw: bytes.dropFirst())  // [1] IMPLICIT BIT STRING: skip unused-bits byte
            }
            guard oid == KeyOID.ed25519 else { throw DERWalk.Malformed("Ed448 key without its public part") }
            let seed = try DERWalk.octets(try DER.parse(inner))
            let key = try Curve25519.Signing.PrivateKey(rawRepresentation: seed)
            return DERWalk.edSPKI(oid, raw: key.publicKey.rawRepresentation)
        default:
            throw DERWalk.Malformed("unsupported PKCS#8 key algorithm \(oid)")
        }
    }

    /// `DSA PRIVATE KEY` (OpenSSL): SEQUENCE { 0, p, q, g, y, x }.
    static func dsa(_ der: [UInt8]) throws -> [UInt8] {
        let fields = try DERWalk.children(try DER.parse(der))
        guard fields.count >= 5, fields.allSatisfy({ $0.identifier == .integer }) else {
            throw DERWalk.Malformed("not an OpenSSL DSA private key")
        }
        let params = DERWalk.sequence(Array(fields[1].encodedBytes), Array(fields[2].encodedBytes), Array(fields[3].encodedBytes))
        return DERWalk.sequence(DERWalk.sequence(DERWalk.oidBytes(KeyOID.dsa), params),
                                DERWalk.bitString(Array(fields[4].encodedBytes)))
    }

    /// The uncompressed public point for a SEC1 key that omits it (swift-crypto covers P-256/384/521).
    private static func derivePoint(scalar: ArraySlice<UInt8>, curve: ASN1ObjectIdentifier) throws -> [UInt8] {
        switch curve {
        case KeyOID.p256: Array(try P256.Signing.PrivateKey(rawRepresentation: scalar).publicKey.x963Representation)
        case KeyOID.p384: Array(try P384.Signing.PrivateKey(rawRepresentation: scalar).publicKey.x963Representation)
        case KeyOID.p521: Array(try P521.Signing.PrivateKey(rawRepresentation: scalar).publicKey.x963Representation)
        default: throw DERWalk.Malformed("EC private key on \(curve) without its public point")
        }
    }

}
