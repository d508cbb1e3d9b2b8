import Crypto
import Foundation
import _CryptoExtras

/// A public key that verifies JWT-SVIDs, with the kid it is published under.
///
/// The key is bound to its family (curve or RSA) and, when its JWK says so, to
/// one exact `alg`: the verifier never lets a token's header choose how the
/// key is used. Equality and hashing cover kid, binding and key material, so
/// a key set can be deduplicated and compared across bundle refreshes.
public struct JWTPublicKey: Sendable, Hashable, CustomStringConvertible {
    /// Largest RSA modulus accepted: bigger keys make each verification a CPU sink for whoever controls the bundle.
    public static let maxRSAModulusBits = 8192
    /// Smallest RSA modulus accepted (NIST SP 800-131A).
    public static let minRSAModulusBits = 2048

    public let kid: String
    public let family: JWTKeyFamily
    /// The one algorithm this key may verify, when pinned (JWK `alg`, or the signing key it came from).
    /// `nil` means any algorithm of `family`.
    public let pinnedAlgorithm: JWTAlgorithm?

    enum Backing: Sendable {
        case p256(P256.Signing.PublicKey)
        case p384(P384.Signing.PublicKey)
        case p521(P521.Signing.PublicKey)
        case rsa(_RSA.Signing.PublicKey, modulusBytes: Int)
    }

    /// Key material in JWK form, kept so `jwk()` and equality never re-derive it from the crypto object.
    enum Material: Hashable, Sendable {
        case ec(x: [UInt8], y: [UInt8])
        case rsa(n: [UInt8], e: [UInt8])
    }

    let backing: Backing
    let material: Material

    // MARK: Construction

    /// Validates and imports a JWK: EC points must lie on the named curve with fixed-width
    /// coordinates, RSA moduli must be 2048...8192 bits, and `alg`, when present, must fit the key.
    public init(jwk: JWK) throws(JWTKeyError) {
        guard let kid = jwk.kid, !kid.isEmpty else { throw .missingKeyID }
        if let use = jwk.use, use != "jwt-svid", use != "sig" { throw .unsupportedUse(use) }
        var pinned: JWTAlgorithm?
        if let alg = jwk.alg {
            guard let algorithm = JWTAlgorithm(rawValue: alg) else { throw .unsupportedAlgorithm(alg) }
            pinned = algorithm
        }
        switch jwk.kty {
        case "EC":
            for (name, value) in [("n", jwk.n), ("e", jwk.e)] where value != nil {
                throw .unexpectedParameter(name)
            }
            guard let crv = jwk.crv else { throw .missingParameter("crv") }
            guard let family = JWTKeyFamily(rawValue: crv), family != .rsa else { throw .unsupportedCurve(crv) }
            let x = try Self.decodeCoordinate("x", jwk.x, family: family)
            let y = try Self.decodeCoordinate("y", jwk.y, family: family)
            if let pinned, pinned.keyFamily != family { throw .algorithmMismatch(algorithm: pinned, family: family) }
            try self.init(ecX: x, y: y, family: family, kid: kid, pinnedAlgorithm: pinned)
        case "RSA":
            for (name, value) in [("crv", jwk.crv), ("x", jwk.x), ("y", jwk.y)] where value != nil {
                throw .unexpectedParameter(name)
            }
            guard let nText = jwk.n else { throw .missingParameter("n") }
            guard let eText = jwk.e else { throw .missingParameter("e") }
            guard let n = Base64URL.decode(nText) else { throw .invalidBase64URL(parameter: "n") }
            guard let e = Base64URL.decode(eText) else { throw .invalidBase64URL(parameter: "e") }
            if let pinned, pinned.keyFamily != .rsa { throw .algorithmMismatch(algorithm: pinned, family: .rsa) }
            try self.init(rsaN: n, e: e, kid: kid, pinnedAlgorithm: pinned)
        default:
            throw .unsupportedKeyType(jwk.kty)
        }
    }

    private static func decodeCoordinate(_ name: String, _ text: String?, family: JWTKeyFamily) throws(JWTKeyError)
        -> [UInt8]
    {
        guard let text else { throw .missingParameter(name) }
        guard let bytes = Base64URL.decode(text) else { throw .invalidBase64URL(parameter: name) }
        let expected = family.coordinateLength!
        guard bytes.count == expected else {
            throw .invalidCoordinateLength(parameter: name, expected: expected, actual: bytes.count)
        }
        return bytes
    }

    init(ecX x: [UInt8], y: [UInt8], family: JWTKeyFamily, kid: String, pinnedAlgorithm: JWTAlgorithm?)
        throws(JWTKeyError)
    {
        let raw = x + y
        do {
            switch family {
            case .p256: backing = .p256(try P256.Signing.PublicKey(rawRepresentation: raw))
            case .p384: backing = .p384(try P384.Signing.PublicKey(rawRepresentation: raw))
            case .p521: backing = .p521(try P521.Signing.PublicKey(rawRepresentation: raw))
            case .rsa: throw JWTKeyError.unsupportedCurve("RSA")
            }
        } catch {
            throw .pointNotOnCurve(family)
        }
        self.kid = kid
        self.family = family
        self.pinnedAlgorithm = pinnedAlgorithm
        self.material = .ec(x: x, y: y)
    }

    init(rsaN rawN: [UInt8], e rawE: [UInt8], kid: String, pinnedAlgorithm: JWTAlgorithm?) throws(JWTKeyError) {
        // RFC 7518 §6.3.1.1 forbids a leading zero octet in `n`, but some producers add one; it does not
        // change the key, so it is dropped here and never re-emitted.
        let n = Array(rawN.drop(while: { $0 == 0 }))
        let e = Array(rawE.drop(while: { $0 == 0 }))
        let bits = n.isEmpty ? 0 : n.count * 8 - n[0].leadingZeroBitCount
        guard bits >= Self.minRSAModulusBits else { throw .rsaModulusTooSmall(bits: bits) }
        guard bits <= Self.maxRSAModulusBits else { throw .rsaModulusTooLarge(bits: bits) }
        guard !e.isEmpty, e.count <= 4, e.last! & 1 == 1, e != [1] else {
            throw .invalidRSAKey("public exponent must be an odd number greater than 1 (normally 65537, 'AQAB')")
        }
        do {
            let key = try _RSA.Signing.PublicKey(n: n, e: e)
            backing = .rsa(key, modulusBytes: n.count)
        } catch {
            throw .invalidRSAKey("\(error)")
        }
        self.kid = kid
        self.family = .rsa
        self.pinnedAlgorithm = pinnedAlgorithm
        self.material = .rsa(n: n, e: e)
    }

    private init(
        kid: String, family: JWTKeyFamily, pinnedAlgorithm: JWTAlgorithm?, backing: Backing, material: Material
    ) {
        self.kid = kid
        self.family = family
        self.pinnedAlgorithm = pinnedAlgorithm
        self.backing = backing
        self.material = material
    }

    /// The same key under another kid (the signing key derives its default kid from the key itself).
    func withKID(_ kid: String) -> JWTPublicKey {
        JWTPublicKey(kid: kid, family: family, pinnedAlgorithm: pinnedAlgorithm, backing: backing, material: material)
    }

    // MARK: JWK and PEM output

    /// The key as a JWK. `alg` is included only when asked and when the key has exactly one
    /// algorithm (pinned, or implied by its curve); an unpinned RSA key publishes none.
    public func jwk(use: String? = "jwt-svid", includeAlg: Bool = false) -> JWK {
        let alg = includeAlg ? (pinnedAlgorithm ?? family.ecdsaAlgorithm)?.rawValue : nil
        switch material {
        case .ec(let x, let y):
            return JWK(
                kty: "EC", kid: kid, use: use, alg: alg, crv: family.rawValue,
                x: Base64URL.encode(x), y: Base64URL.encode(y))
        case .rsa(let n, let e):
            return JWK(kty: "RSA", kid: kid, use: use, alg: alg, n: Base64URL.encode(n), e: Base64URL.encode(e))
        }
    }

    /// RFC 7638 JWK thumbprint (SHA-256, base64url): a kid derived from the key itself,
    /// so regenerating a bundle never renames a key.
    public var thumbprint: String {
        let canonical: String
        switch material {
        case .ec(let x, let y):
            canonical =
                #"{"crv":"\#(family.rawValue)","kty":"EC","x":"\#(Base64URL.encode(x))","y":"\#(Base64URL.encode(y))"}"#
        case .rsa(let n, let e):
            canonical = #"{"e":"\#(Base64URL.encode(e))","kty":"RSA","n":"\#(Base64URL.encode(n))"}"#
        }
        return Base64URL.encode(Array(SHA256.hash(data: Array(canonical.utf8))))
    }

    /// SubjectPublicKeyInfo DER, for interop with tools that take PEM/DER keys.
    public var derRepresentation: Data {
        switch backing {
        case .p256(let key): key.derRepresentation
        case .p384(let key): key.derRepresentation
        case .p521(let key): key.derRepresentation
        case .rsa(let key, _): key.derRepresentation
        }
    }

    /// SubjectPublicKeyInfo PEM (`BEGIN PUBLIC KEY`).
    public var pemRepresentation: String {
        switch backing {
        case .p256(let key): key.pemRepresentation
        case .p384(let key): key.pemRepresentation
        case .p521(let key): key.pemRepresentation
        case .rsa(let key, _): key.pemRepresentation
        }
    }

    /// RSA modulus length in bits, or the curve size for EC keys.
    public var keySizeInBits: Int {
        switch material {
        case .rsa(let n, _): n.count * 8 - n[0].leadingZeroBitCount
        case .ec: family == .p521 ? 521 : (family.coordinateLength ?? 0) * 8
        }
    }

    public var description: String {
        "\(family) key '\(kid)'" + (pinnedAlgorithm.map { " (\($0.rawValue) only)" } ?? "")
    }

    // MARK: Verification

    /// True when a token signed with `algorithm` may be checked with this key at all.
    public func accepts(_ algorithm: JWTAlgorithm) -> Bool {
        algorithm.keyFamily == family && (pinnedAlgorithm == nil || pinnedAlgorithm == algorithm)
    }

    /// The exact signature length `algorithm` produces with this key.
    func expectedSignatureLength(for algorithm: JWTAlgorithm) -> Int {
        if let length = algorithm.ecdsaSignatureLength { return length }
        if case .rsa(_, let modulusBytes) = backing { return modulusBytes }
        return 0
    }

    /// Checks a signature; callers must have checked `accepts(algorithm)` and the length first.
    func isValidSignature(_ signature: [UInt8], signingInput: ArraySlice<UInt8>, algorithm: JWTAlgorithm) -> Bool {
        switch (backing, algorithm) {
        case (.p256(let key), .es256):
            guard let sig = try? P256.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
            return key.isValidSignature(sig, for: SHA256.hash(data: signingInput))
        case (.p384(let key), .es384):
            guard let sig = try? P384.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
            return key.isValidSignature(sig, for: SHA384.hash(data: signingInput))
        case (.p521(let key), .es512):
            guard let sig = try? P521.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
            return key.isValidSignature(sig, for: SHA512.hash(data: signingInput))
        case (.rsa(let key, _), _):
            let sig = _RSA.Signing.RSASignature(rawRepresentation: signature)
            switch algorithm {
            case .rs256:
                return key.isValidSignature(sig, for: SHA256.hash(data: signingInput), padding: .insecurePKCS1v1_5)
            case .rs384:
                return key.isValidSignature(sig, for: SHA384.hash(data: signingInput), padding: .insecurePKCS1v1_5)
            case .rs512:
                return key.isValidSignature(sig, for: SHA512.hash(data: signingInput), padding: .insecurePKCS1v1_5)
            case .ps256: return key.isValidSignature(sig, for: SHA256.hash(data: signingInput), padding: .PSS)
            case .ps384: return key.isValidSignature(sig, for: SHA384.hash(data: signingInput), padding: .PSS)
            case .ps512: return key.isValidSignature(sig, for: SHA512.hash(data: signingInput), padding: .PSS)
            case .es256, .es384, .es512: return false
            }
        default:
            return false
        }
    }

    // MARK: Hashable

    public static func == (lhs: JWTPublicKey, rhs: JWTPublicKey) -> Bool {
        lhs.kid == rhs.kid && lhs.family == rhs.family && lhs.pinnedAlgorithm == rhs.pinnedAlgorithm
            && lhs.material == rhs.material
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(kid)
        hasher.combine(family)
        hasher.combine(pinnedAlgorithm)
        hasher.combine(material)
    }
}
