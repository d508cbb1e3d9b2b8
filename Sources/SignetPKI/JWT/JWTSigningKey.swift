import SignetCore
import Crypto
import Foundation
import _CryptoExtras

/// A private key that mints JWT-SVIDs with exactly one algorithm, under one kid.
///
/// Binding the algorithm to the key at construction means the signer never
/// chooses an algorithm per token, and the protected header (which depends
/// only on alg and kid) is encoded once here and reused by every signature:
/// minting is on the hot path, so nothing per-key is recomputed per call.
public struct JWTSigningKey: Sendable {
    public let algorithm: JWTAlgorithm
    public let kid: String
    /// The matching public key, pinned to `algorithm`, ready to publish in a bundle.
    public let publicKey: JWTPublicKey

    enum Backing: Sendable {
        case p256(P256.Signing.PrivateKey)
        case p384(P384.Signing.PrivateKey)
        case p521(P521.Signing.PrivateKey)
        case rsa(_RSA.Signing.PrivateKey)
    }

    let backing: Backing
    /// `base64url({"alg":…,"kid":…,"typ":"JWT"}) + "."`, computed once per key.
    let headerPrefix: String
    /// `base64url({"alg":…,"kid":…,"typ":"at+jwt"}) + "."` for RFC 9068 access tokens, computed once per key.
    let accessTokenHeaderPrefix: String

    /// RSA size for generated keys: 3072 bits (NIST's 128-bit security level, matching P-256).
    public static let generatedRSAKeyBits = 3072

    /// Generates a fresh key: P-256/P-384/P-521 for ES256/ES384/ES512, RSA-3072 for RS*/PS*.
    /// The kid defaults to the RFC 7638 thumbprint of the public key.
    public static func generate(_ algorithm: JWTAlgorithm, kid: String? = nil) throws(JWTKeyError) -> JWTSigningKey {
        let backing: Backing
        switch algorithm {
        case .es256: backing = .p256(P256.Signing.PrivateKey())
        case .es384: backing = .p384(P384.Signing.PrivateKey())
        case .es512: backing = .p521(P521.Signing.PrivateKey())
        case .rs256, .rs384, .rs512, .ps256, .ps384, .ps512:
            do {
                backing = .rsa(try _RSA.Signing.PrivateKey(keySize: .bits3072))
            } catch {
                throw .generationFailed("\(error)")
            }
        }
        return try JWTSigningKey(backing: backing, algorithm: algorithm, kid: kid)
    }

    /// Loads a stored key (PKCS#8 `PRIVATE KEY`, or the legacy SEC1 `EC PRIVATE KEY` / PKCS#1 `RSA PRIVATE KEY`).
    /// The PEM must hold a key of `algorithm`'s family; RSA keys must be at least 2048 bits.
    public init(pem: String, algorithm: JWTAlgorithm, kid: String) throws(JWTKeyError) {
        let backing: Backing
        do {
            switch algorithm {
            case .es256: backing = .p256(try P256.Signing.PrivateKey(pemRepresentation: pem))
            case .es384: backing = .p384(try P384.Signing.PrivateKey(pemRepresentation: pem))
            case .es512: backing = .p521(try P521.Signing.PrivateKey(pemRepresentation: pem))
            case .rs256, .rs384, .rs512, .ps256, .ps384, .ps512:
                backing = .rsa(try _RSA.Signing.PrivateKey(pemRepresentation: pem))
            }
        } catch {
            throw .invalidPEM(algorithm: algorithm, reason: "\(error)")
        }
        guard !kid.isEmpty else { throw .missingKeyID }
        try self.init(backing: backing, algorithm: algorithm, kid: kid)
    }

    private init(backing: Backing, algorithm: JWTAlgorithm, kid: String?) throws(JWTKeyError) {
        let unnamed: JWTPublicKey
        switch backing {
        case .p256(let key):
            let raw = [UInt8](key.publicKey.rawRepresentation)
            unnamed = try JWTPublicKey(
                ecX: Array(raw[..<32]), y: Array(raw[32...]), family: .p256, kid: kid ?? "-", pinnedAlgorithm: algorithm
            )
        case .p384(let key):
            let raw = [UInt8](key.publicKey.rawRepresentation)
            unnamed = try JWTPublicKey(
                ecX: Array(raw[..<48]), y: Array(raw[48...]), family: .p384, kid: kid ?? "-", pinnedAlgorithm: algorithm
            )
        case .p521(let key):
            let raw = [UInt8](key.publicKey.rawRepresentation)
            unnamed = try JWTPublicKey(
                ecX: Array(raw[..<66]), y: Array(raw[66...]), family: .p521, kid: kid ?? "-", pinnedAlgorithm: algorithm
            )
        case .rsa(let key):
            let primitives: _RSA.Signing.PublicKey.Primitives
            do {
                primitives = try key.publicKey.getKeyPrimitives()
            } catch {
                throw .invalidRSAKey("\(error)")
            }
            unnamed = try JWTPublicKey(
                rsaN: [UInt8](primitives.modulus), e: [UInt8](primitives.publicExponent), kid: kid ?? "-",
                pinnedAlgorithm: algorithm)
        }
        let kid = kid ?? unnamed.thumbprint
        self.backing = backing
        self.algorithm = algorithm
        self.kid = kid
        self.publicKey = unnamed.withKID(kid)
        var header = #"{"alg":""# + algorithm.rawValue + #"","kid":"#
        JSONValue.writeString(kid, into: &header)
        self.headerPrefix = Base64URL.encode(Array((header + #","typ":"JWT"}"#).utf8)) + "."
        self.accessTokenHeaderPrefix = Base64URL.encode(Array((header + #","typ":"at+jwt"}"#).utf8)) + "."
    }

    /// PKCS#8 PEM (`BEGIN PRIVATE KEY`) for storage; `init(pem:algorithm:kid:)` reads it back.
    public var pemRepresentation: String {
        switch backing {
        case .p256(let key): key.pemRepresentation
        case .p384(let key): key.pemRepresentation
        case .p521(let key): key.pemRepresentation
        case .rsa(let key): key.pkcs8PEMRepresentation
        }
    }

    /// Signs a JWS signing input: raw r||s for ECDSA (RFC 7518 §3.4), PKCS#1 v1.5 or PSS for RSA.
    /// Only fails if the crypto library itself fails (allocation), which is not recoverable per token.
    func signature(for input: [UInt8]) throws -> [UInt8] {
        switch backing {
        case .p256(let key): return [UInt8](try key.signature(for: SHA256.hash(data: input)).rawRepresentation)
        case .p384(let key): return [UInt8](try key.signature(for: SHA384.hash(data: input)).rawRepresentation)
        case .p521(let key): return [UInt8](try key.signature(for: SHA512.hash(data: input)).rawRepresentation)
        case .rsa(let key):
            let signature: _RSA.Signing.RSASignature
            switch algorithm {
            case .rs256: signature = try key.signature(for: SHA256.hash(data: input), padding: .insecurePKCS1v1_5)
            case .rs384: signature = try key.signature(for: SHA384.hash(data: input), padding: .insecurePKCS1v1_5)
            case .rs512: signature = try key.signature(for: SHA512.hash(data: input), padding: .insecurePKCS1v1_5)
            case .ps256: signature = try key.signature(for: SHA256.hash(data: input), padding: .PSS)
            case .ps384: signature = try key.signature(for: SHA384.hash(data: input), padding: .PSS)
            case .ps512: signature = try key.signature(for: SHA512.hash(data: input), padding: .PSS)
            case .es256, .es384, .es512: preconditionFailure("RSA key bound to \(algorithm.rawValue)")
            }
            return [UInt8](signature.rawRepresentation)
        }
    }
}
