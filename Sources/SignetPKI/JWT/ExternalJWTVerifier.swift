import Foundation
import SignetCore

/// A compact JWT from an issuer outside SPIFFE (GitHub Actions, GitLab CI, a Kubernetes
/// cluster, an OAuth client's assertion), split and decoded but NOT yet verified.
///
/// Parsing once and verifying later lets the token endpoint read `iss` and `kid` to pick the
/// issuer's keys without decoding the token twice. Nothing here may drive a decision other
/// than *which keys to try*; ``ExternalJWTVerifier/verify(_:issuer:)`` says whether to trust it.
public struct ExternalJWT: Sendable {
    /// The protected header, as sent.
    public let header: [String: JSONValue]
    /// The payload claims, as sent.
    public let claims: [String: JSONValue]
    let parts: JWTVerifier.Parts

    /// Splits and decodes; fails on anything that is not a three-part JWS with JSON-object header and payload.
    public init(parsing token: String) throws(ExternalJWTError) {
        do {
            let parts = try JWTVerifier.split(token)
            header = try JWTVerifier.object(parts.header, .header)
            claims = try JWTVerifier.object(parts.payload, .payload)
            self.parts = parts
        } catch {
            throw .token(error)
        }
    }

    /// The unverified `iss`, when it is a string.
    public var issuer: String? { claims["iss"]?.stringValue }
    /// The unverified `kid`, when it is a string.
    public var keyID: String? { header["kid"]?.stringValue }
}

/// A token that passed every check of ``ExternalJWTVerifier``.
public struct VerifiedExternalJWT: Sendable {
    public let header: [String: JSONValue]
    /// Every claim, as the issuer sent it (rules evaluate against these).
    public let claims: [String: JSONValue]
    public let algorithm: JWTAlgorithm
    public let kid: String
    public let expiry: Date
    public let notBefore: Date?
    public let issuedAt: Date?

    public var issuer: String? { claims["iss"]?.stringValue }
    public var subject: String? { claims["sub"]?.stringValue }
    public var jti: String? { claims["jti"]?.stringValue }
}

/// Why a token from an external issuer was refused.
public enum ExternalJWTError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A rule shared with JWT-SVID verification (shape, alg allow-list, kid, signature, exp/nbf/iat).
    case token(JWTValidationError)
    /// A header parameter that lets a token name its own key or demand unknown processing.
    case forbiddenHeaderParameter(String)
    /// A header parameter this verifier does not know; refused rather than ignored.
    case unsupportedHeaderParameter(String)
    case unsupportedType(String)
    case missingIssuer
    case issuerMismatch(expected: String, actual: String)

    public var description: String {
        switch self {
        case .token(let error):
            error.description
        case .forbiddenHeaderParameter(let name):
            "header parameter '\(name)' is not allowed: keys come from the issuer's published key set, never from the token"
        case .unsupportedHeaderParameter(let name):
            "header parameter '\(name)' is not supported (accepted: \(ExternalJWTVerifier.allowedHeaderParameters.sorted().joined(separator: ", ")))"
        case .unsupportedType(let typ):
            "header typ '\(typ)' is not allowed: use JWT or at+jwt, or omit it"
        case .missingIssuer:
            "claim 'iss' is missing or not a string"
        case .issuerMismatch(let expected, let actual):
            "issuer '\(actual)' is not '\(expected)'"
        }
    }
}

/// Verifies JWTs from issuers that are not SPIFFE trust domains: OIDC ID tokens, Kubernetes
/// service-account tokens, RFC 9068 access tokens and RFC 7523 client assertions.
///
/// The same discipline as ``JWTVerifier``: the algorithm must be on the asymmetric allow-list
/// (never `none`, never HMAC) and fit the key, the key is found by exact `kid` (no default
/// key), and the signature is checked before any claim is read. What differs is what such
/// issuers legitimately send: `typ` may be `JWT`, `at+jwt` or absent, and the certificate
/// thumbprints `x5t`/`x5t#S256` (GitHub sends `x5t`) are tolerated because they are never
/// used to find a key. Headers that carry or point at a key (`jwk`, `jku`, `x5c`, `x5u`) and
/// `crit` are refused, as is any other parameter. `exp` is required; audience and subject are
/// the caller's policy (a trust rule, a client registration), so the full claim set is returned.
public struct ExternalJWTVerifier: Sendable {
    /// Header parameters accepted; anything else is refused.
    public static let allowedHeaderParameters: Set<String> = ["alg", "kid", "typ", "x5t", "x5t#S256"]
    /// Header parameters refused with a specific explanation (they name keys or demand extensions).
    public static let forbiddenHeaderParameters: Set<String> = ["jwk", "jku", "x5c", "x5u", "crit"]
    /// `typ` values accepted (compared ASCII case-insensitively, as media types are), besides absent.
    public static let allowedTypes: [String] = ["jwt", "at+jwt", "application/jwt", "application/at+jwt"]

    /// Keys by exact kid.
    public let keys: [String: JWTPublicKey]
    public let leeway: TimeInterval
    public let clock: @Sendable () -> Date

    public init(
        keys: [JWTPublicKey], leeway: TimeInterval = JWTVerifier.maxLeeway,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) throws(JWTVerifier.ConfigurationError) {
        guard leeway >= 0, leeway <= JWTVerifier.maxLeeway else { throw .leewayOutOfRange(leeway) }
        var byKID: [String: JWTPublicKey] = [:]
        for key in keys {
            if let existing = byKID[key.kid], existing != key { throw .duplicateKeyID(key.kid) }
            byKID[key.kid] = key
        }
        self.keys = byKID
        self.leeway = leeway
        self.clock = clock
    }

    /// True when a key with exactly this kid is known (used to decide whether to refetch a key set).
    public func hasKey(_ kid: String) -> Bool {
        guard let key = keys[kid] else { return false }
        return JWTVerifier.same(key.kid, kid)
    }

    /// Parses and verifies `token`; see ``verify(_:issuer:)``.
    public func verify(token: String, issuer: String? = nil) throws(ExternalJWTError) -> VerifiedExternalJWT {
        try verify(try ExternalJWT(parsing: token), issuer: issuer)
    }

    /// Verifies a parsed token. When `issuer` is given, `iss` must equal it byte for byte.
    public func verify(_ token: ExternalJWT, issuer: String? = nil) throws(ExternalJWTError) -> VerifiedExternalJWT {
        let (algorithm, kid) = try Self.checkHeader(token.header)
        guard let key = keys[kid], JWTVerifier.same(key.kid, kid) else { throw .token(.unknownKeyID(kid)) }
        guard key.accepts(algorithm) else { throw .token(.algorithmKeyMismatch(algorithm: algorithm, key: key)) }
        do {
            try JWTVerifier.checkSignature(token.parts, key: key, algorithm: algorithm)
        } catch {
            throw .token(error)
        }

        // Authenticated from here on.
        let claims = token.claims
        guard let expValue = claims["exp"] else { throw .token(.missingExpiry) }
        let exp = try Self.numericDate(expValue, "exp")
        let nbf = try claims["nbf"].map { value throws(ExternalJWTError) in try Self.numericDate(value, "nbf") }
        let iat = try claims["iat"].map { value throws(ExternalJWTError) in try Self.numericDate(value, "iat") }
        let now = clock()
        if exp <= now.addingTimeInterval(-leeway) { throw .token(.expired(expiry: exp, now: now)) }
        if let nbf, nbf > now.addingTimeInterval(leeway) { throw .token(.notYetValid(notBefore: nbf, now: now)) }
        if let iat, iat > now.addingTimeInterval(leeway) { throw .token(.issuedInFuture(issuedAt: iat, now: now)) }
        for name in ["iss", "sub", "jti"] {
            if let value = claims[name], value.stringValue == nil {
                throw .token(.invalidClaim(name: name, reason: "must be a string"))
            }
        }
        if let issuer {
            guard let iss = claims["iss"]?.stringValue else { throw .missingIssuer }
            guard JWTVerifier.same(iss, issuer) else { throw .issuerMismatch(expected: issuer, actual: iss) }
        }
        return VerifiedExternalJWT(
            header: token.header, claims: claims, algorithm: algorithm, kid: kid, expiry: exp, notBefore: nbf,
            issuedAt: iat)
    }

    public static func checkHeader(_ header: [String: JSONValue]) throws(ExternalJWTError) -> (JWTAlgorithm, String) {
        if let forbidden = header.keys.filter({ forbiddenHeaderParameters.contains($0) }).sorted().first {
            throw .forbiddenHeaderParameter(forbidden)
        }
        if let extra = header.keys.filter({ !allowedHeaderParameters.contains($0) }).sorted().first {
            throw .unsupportedHeaderParameter(extra)
        }
        guard let algValue = header["alg"] else { throw .token(.missingAlgorithm) }
        guard let alg = algValue.stringValue else { throw .token(.invalidHeaderParameter("alg")) }
        guard let algorithm = JWTAlgorithm.allCases.first(where: { JWTVerifier.same($0.rawValue, alg) }) else {
            throw .token(.disallowedAlgorithm(alg))
        }
        if let typValue = header["typ"] {
            guard let typ = typValue.stringValue else { throw .token(.invalidHeaderParameter("typ")) }
            guard allowedTypes.contains(where: { asciiCaseInsensitiveEqual($0, typ) }) else {
                throw .unsupportedType(typ)
            }
        }
        for name in ["x5t", "x5t#S256"] {
            if let value = header[name], value.stringValue == nil { throw .token(.invalidHeaderParameter(name)) }
        }
        guard let kidValue = header["kid"] else { throw .token(.missingKeyID) }
        guard let kid = kidValue.stringValue else { throw .token(.invalidHeaderParameter("kid")) }
        guard !kid.isEmpty else { throw .token(.missingKeyID) }
        return (algorithm, kid)
    }

    /// ASCII-only case folding: Unicode folding would let look-alike characters match.
    static func asciiCaseInsensitiveEqual(_ lowercaseExpected: String, _ actual: String) -> Bool {
        let a = lowercaseExpected.utf8
        let b = actual.utf8
        guard a.count == b.count else { return false }
        return zip(a, b).allSatisfy { x, y in
            let folded = (y >= UInt8(ascii: "A") && y <= UInt8(ascii: "Z")) ? y + 32 : y
            return x == folded
        }
    }

    private static func numericDate(_ value: JSONValue, _ claim: String) throws(ExternalJWTError) -> Date {
        guard let seconds = value.numberValue, seconds.isFinite else { throw .token(.invalidNumericDate(claim: claim)) }
        return Date(timeIntervalSince1970: seconds.rounded(.down))
    }
}
