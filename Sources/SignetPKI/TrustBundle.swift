import Crypto
import _CryptoExtras
import Foundation
import SignetCore
import SwiftASN1
import X509

/// A SPIFFE trust bundle: the X.509 authorities and JWT keys of ONE trust domain.
///
/// The bundle document never names its trust domain (SPIFFE Trust Domain and
/// Bundle standard), so the pairing is kept here beside it, and bundles of
/// different domains are never merged.
public struct TrustBundle: Sendable {
    public var trustDomain: TrustDomain
    public var x509Authorities: [Certificate]
    public var jwtAuthorities: [JWTPublicKey]
    public var sequence: Int64
    /// Seconds between polls that consumers should use.
    public var refreshHint: Int

    public init(
        trustDomain: TrustDomain, x509Authorities: [Certificate], jwtAuthorities: [JWTPublicKey], sequence: Int64,
        refreshHint: Int
    ) {
        self.trustDomain = trustDomain
        self.x509Authorities = x509Authorities
        self.jwtAuthorities = jwtAuthorities
        self.sequence = sequence
        self.refreshHint = refreshHint
    }

    struct Document: Codable {
        var keys: [JWK]
        var spiffeSequence: Int64?
        var spiffeRefreshHint: Int?

        enum CodingKeys: String, CodingKey {
            case keys
            case spiffeSequence = "spiffe_sequence"
            case spiffeRefreshHint = "spiffe_refresh_hint"
        }
    }

    /// The SPIFFE bundle JSON: `x509-svid` keys with exactly one `x5c` and no `kid`; `jwt-svid` keys with `kid`.
    public func spiffeJSON() throws -> [UInt8] {
        var keys: [JWK] = []
        for cert in x509Authorities {
            var jwk = try Self.jwk(for: cert.publicKey)
            jwk.use = "x509-svid"
            jwk.x5c = [Data(try Self.der(cert)).base64EncodedString()]
            keys.append(jwk)
        }
        keys += jwtAuthorities.map { $0.jwk(use: "jwt-svid", includeAlg: false) }
        let document = Document(keys: keys, spiffeSequence: sequence, spiffeRefreshHint: refreshHint)
        return Array(try Self.encoder.encode(document))
    }

    /// The JWT bundle alone (only `jwt-svid` keys, each with its `kid`): what the Workload API's
    /// FetchJWTBundles serves, since SPIFFE clients parse it as a JWT key set and refuse keys without a kid.
    public func jwtBundleJSON() throws -> [UInt8] {
        let document = Document(
            keys: jwtAuthorities.map { $0.jwk(use: "jwt-svid", includeAlg: false) }, spiffeSequence: sequence,
            spiffeRefreshHint: refreshHint)
        return Array(try Self.encoder.encode(document))
    }

    /// A plain JWKS (RFC 7517) of the JWT keys for OIDC relying parties: `use: sig` and `alg` on each key.
    public func jwksJSON() throws -> [UInt8] {
        struct JWKS: Encodable { let keys: [JWK] }
        return Array(try Self.encoder.encode(JWKS(keys: jwtAuthorities.map { $0.jwk(use: "sig", includeAlg: true) })))
    }

    /// Parses a SPIFFE bundle for `trustDomain`. Keys with an unknown `use` are ignored, as the standard says;
    /// a malformed key of a known use is an error.
    public static func parse(json: [UInt8], trustDomain: TrustDomain) throws(PKIError) -> TrustBundle {
        let document: Document
        do {
            document = try JSONDecoder().decode(Document.self, from: Data(json))
        } catch {
            throw .invalidInput("not a SPIFFE bundle (a JSON object with a 'keys' array): \(error)")
        }
        var x509: [Certificate] = []
        var jwt: [JWTPublicKey] = []
        for key in document.keys {
            switch key.use {
            case "x509-svid":
                guard let x5c = key.x5c, x5c.count == 1, let der = Data(base64Encoded: x5c[0]) else {
                    throw .invalidInput("x509-svid key must have exactly one base64 DER certificate in x5c")
                }
                do {
                    x509.append(try Certificate(derEncoded: Array(der)))
                } catch {
                    throw .invalidInput("x509-svid certificate is not valid DER: \(error)")
                }
            case "jwt-svid":
                do {
                    jwt.append(try JWTPublicKey(jwk: key))
                } catch {
                    throw .invalidInput("jwt-svid key: \(error.description)")
                }
            default:
                continue
            }
        }
        return TrustBundle(
            trustDomain: trustDomain, x509Authorities: x509, jwtAuthorities: jwt,
            sequence: document.spiffeSequence ?? 0, refreshHint: document.spiffeRefreshHint ?? 300)
    }

    /// A digest of the published keys, to tell whether the bundle changed (and its sequence must grow).
    public func keyFingerprint() throws -> String {
        var hasher = SHA256()
        for cert in x509Authorities { hasher.update(data: try Self.der(cert)) }
        for key in jwtAuthorities {
            hasher.update(data: Array(key.kid.utf8))
            hasher.update(data: key.derRepresentation)
        }
        return Fingerprint.hex(hasher.finalize())
    }

    /// DER bytes of a certificate.
    public static func der(_ cert: Certificate) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(cert)
        return serializer.serializedBytes
    }

    /// The JWK members of a certificate's public key (EC P-256/P-384 or RSA).
    static func jwk(for key: Certificate.PublicKey) throws -> JWK {
        if let p256 = P256.Signing.PublicKey(key) {
            let raw = Array(p256.rawRepresentation)
            return JWK(kty: "EC", crv: "P-256", x: Base64URL.encode(raw[..<32]), y: Base64URL.encode(raw[32...]))
        }
        if let p384 = P384.Signing.PublicKey(key) {
            let raw = Array(p384.rawRepresentation)
            return JWK(kty: "EC", crv: "P-384", x: Base64URL.encode(raw[..<48]), y: Base64URL.encode(raw[48...]))
        }
        if let rsa = _RSA.Signing.PublicKey(key) {
            let primitives = try rsa.getKeyPrimitives()
            var n = Array(primitives.modulus)
            while n.first == 0 { n.removeFirst() }
            return JWK(kty: "RSA", n: Base64URL.encode(n), e: Base64URL.encode(Array(primitives.publicExponent)))
        }
        throw PKIError.unsupported("CA key type in bundle")
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}
