import Foundation
import SignetCore

/// THE JWT-SVID verifier: every JWT Signet accepts goes through `verify`.
///
/// It is configured with the keys of exactly one trust domain and trusts
/// nothing the token says about how to verify it: the key is found by exact
/// `kid` (there is no default key, so an unknown or missing kid fails), the
/// header may carry only `alg`, `kid` and `typ` (no embedded `jwk`, `jku`,
/// `x5u`, `x5c`, no `crit`), `alg` must be on the allow-list and fit the key's
/// family, and the signature is checked before the payload is even parsed.
/// Only then are expiry, not-before, issued-at, audience and subject checked.
public struct JWTVerifier: Sendable {
    /// Longest token accepted: JWT-SVIDs are a few hundred bytes, and parsing is bounded by this.
    public static let maxTokenLength = 16 * 1024
    /// Largest clock-skew allowance: more would keep expired tokens alive noticeably longer.
    public static let maxLeeway: TimeInterval = 30
    /// `typ` values the JWT-SVID standard allows.
    public static let allowedTypes: Set<String> = ["JWT", "JOSE"]
    /// The only protected-header parameters accepted.
    public static let allowedHeaderParameters: Set<String> = ["alg", "kid", "typ"]

    public let trustDomain: TrustDomain
    /// Keys by exact kid.
    public let keys: [String: JWTPublicKey]
    public let leeway: TimeInterval
    /// Injected so tests (and `signet jwt verify --at`) can check tokens at a chosen instant.
    public let clock: @Sendable () -> Date

    /// Why a verifier could not be built.
    public enum ConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
        /// Two different keys share a kid, so a lookup by kid would be ambiguous.
        case duplicateKeyID(String)
        case leewayOutOfRange(TimeInterval)

        public var description: String {
            switch self {
            case .duplicateKeyID(let kid):
                "two different keys share kid '\(kid)'; key IDs must be unique in a trust domain"
            case .leewayOutOfRange(let leeway):
                "leeway \(leeway)s is out of range: use 0...\(Int(JWTVerifier.maxLeeway)) seconds"
            }
        }
    }

    public init(
        trustDomain: TrustDomain, keys: [JWTPublicKey], leeway: TimeInterval = JWTVerifier.maxLeeway,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) throws(ConfigurationError) {
        guard leeway >= 0, leeway <= Self.maxLeeway else { throw .leewayOutOfRange(leeway) }
        var byKID: [String: JWTPublicKey] = [:]
        for key in keys {
            if let existing = byKID[key.kid], existing != key { throw .duplicateKeyID(key.kid) }
            byKID[key.kid] = key
        }
        self.trustDomain = trustDomain
        self.keys = byKID
        self.leeway = leeway
        self.clock = clock
    }

    // MARK: Verification

    /// Verifies a compact JWT-SVID for `audience` and returns its identity, or says precisely why not.
    public func verify(token: String, audience: String) throws(JWTValidationError) -> VerifiedJWT {
        guard !audience.isEmpty else { throw .emptyExpectedAudience }
        let parts = try Self.split(token)
        let header = try Self.checkHeader(try Self.object(parts.header, .header))

        // Swift `String` equality is Unicode-canonical; kids, algs and audiences are compared byte for byte.
        guard let key = keys[header.kid], Self.same(key.kid, header.kid) else { throw .unknownKeyID(header.kid) }
        guard key.accepts(header.algorithm) else { throw .algorithmKeyMismatch(algorithm: header.algorithm, key: key) }
        try Self.checkSignature(parts, key: key, algorithm: header.algorithm)

        // Authenticated from here on.
        let claims = try JWTClaims(payload: try Self.object(parts.payload, .payload))
        let now = clock()
        if claims.exp <= now.addingTimeInterval(-leeway) { throw .expired(expiry: claims.exp, now: now) }
        if let nbf = claims.nbf, nbf > now.addingTimeInterval(leeway) { throw .notYetValid(notBefore: nbf, now: now) }
        if let iat = claims.iat, iat > now.addingTimeInterval(leeway) { throw .issuedInFuture(issuedAt: iat, now: now) }
        guard claims.aud.contains(where: { Self.same($0, audience) }) else {
            throw .audienceMismatch(expected: audience, actual: claims.aud)
        }

        let spiffeID: SPIFFEID
        do {
            spiffeID = try SPIFFEID(claims.sub)
        } catch {
            throw .invalidSubject(claims.sub, error)
        }
        guard spiffeID.trustDomain == trustDomain else {
            throw .subjectOutsideTrustDomain(spiffeID, expected: trustDomain)
        }
        return VerifiedJWT(header: header, claims: claims, spiffeID: spiffeID, expiry: claims.exp)
    }

    /// Splits and decodes a token without verifying anything but its shape, for diagnostics.
    /// Never base a decision on the result.
    public static func decodeUnverified(_ token: String) throws(JWTValidationError) -> UnverifiedJWT {
        let parts = try split(token)
        return UnverifiedJWT(
            header: try object(parts.header, .header),
            payload: try object(parts.payload, .payload),
            signature: parts.signature)
    }

    // MARK: Steps

    struct Parts {
        let header: [UInt8]
        let payload: [UInt8]
        let signature: [UInt8]
        /// ASCII(base64url(header) || '.' || base64url(payload)): what was signed.
        let signingInput: ArraySlice<UInt8>
    }

    static func split(_ token: String) throws(JWTValidationError) -> Parts {
        let length = token.utf8.count
        guard length <= maxTokenLength else { throw .tokenTooLarge(length: length, limit: maxTokenLength) }
        let bytes = Array(token.utf8)
        var dots: [Int] = []
        for (index, byte) in bytes.enumerated() where byte == UInt8(ascii: ".") {
            dots.append(index)
        }
        guard dots.count == 2 else { throw .malformedToken(partCount: dots.count + 1) }
        guard let header = Base64URL.decode(utf8: bytes[..<dots[0]]) else { throw .invalidBase64URL(.header) }
        guard let payload = Base64URL.decode(utf8: bytes[(dots[0] + 1)..<dots[1]]) else {
            throw .invalidBase64URL(.payload)
        }
        guard let signature = Base64URL.decode(utf8: bytes[(dots[1] + 1)...]) else {
            throw .invalidBase64URL(.signature)
        }
        return Parts(header: header, payload: payload, signature: signature, signingInput: bytes[..<dots[1]])
    }

    static func object(_ bytes: [UInt8], _ part: JWTValidationError.Part) throws(JWTValidationError)
        -> [String: JSONValue]
    {
        let value: JSONValue
        do {
            value = try JSONValue.parse(bytes)
        } catch {
            throw .invalidJSON(part, reason: error.description)
        }
        guard let object = value.objectValue else { throw .notJSONObject(part) }
        return object
    }

    static func checkHeader(_ header: [String: JSONValue]) throws(JWTValidationError) -> JWTHeader {
        if header["crit"] != nil { throw .unsupportedCriticalHeader }
        if let extra = header.keys.filter({ !allowedHeaderParameters.contains($0) }).sorted().first {
            throw .unsupportedHeaderParameter(extra)
        }

        guard let algValue = header["alg"] else { throw .missingAlgorithm }
        guard let alg = algValue.stringValue else { throw .invalidHeaderParameter("alg") }
        guard let algorithm = JWTAlgorithm.allCases.first(where: { same($0.rawValue, alg) }) else {
            throw .disallowedAlgorithm(alg)
        }

        var type: String?
        if let typValue = header["typ"] {
            guard let typ = typValue.stringValue else { throw .invalidHeaderParameter("typ") }
            guard allowedTypes.contains(where: { same($0, typ) }) else { throw .unsupportedType(typ) }
            type = typ
        }

        guard let kidValue = header["kid"] else { throw .missingKeyID }
        guard let kid = kidValue.stringValue else { throw .invalidHeaderParameter("kid") }
        guard !kid.isEmpty else { throw .missingKeyID }
        return JWTHeader(algorithm: algorithm, kid: kid, type: type)
    }

    /// Byte-exact comparison: `"K" == "\u{212A}"` (Kelvin sign) is true for Swift strings, and a
    /// security check must not treat two different spellings as the same name.
    static func same(_ a: String, _ b: String) -> Bool {
        a.utf8.elementsEqual(b.utf8)
    }

    static func checkSignature(_ parts: Parts, key: JWTPublicKey, algorithm: JWTAlgorithm) throws(JWTValidationError) {
        let signature = parts.signature
        guard !signature.isEmpty else { throw .missingSignature }
        let expected = key.expectedSignatureLength(for: algorithm)
        guard signature.count == expected else {
            throw .signatureLengthMismatch(expected: expected, actual: signature.count)
        }
        if algorithm.ecdsaSignatureLength != nil {
            // Checked here, not left to the library, so a regression like CVE-2022-21449 cannot resurface.
            let half = signature.count / 2
            if signature[..<half].allSatisfy({ $0 == 0 }) || signature[half...].allSatisfy({ $0 == 0 }) {
                throw .degenerateECDSASignature
            }
        }
        guard key.isValidSignature(signature, signingInput: parts.signingInput, algorithm: algorithm) else {
            throw .invalidSignature
        }
    }
}
