import Foundation
import SignetCore

/// Why a JWT-SVID was rejected.
///
/// One case per rule so callers (and tests) can tell attacks apart, and a
/// `description` that tells an operator running `signet jwt verify` what was
/// wrong with the token, not just that it was wrong.
public enum JWTValidationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The three parts of a compact JWS.
    public enum Part: String, Sendable {
        case header, payload, signature
    }

    case emptyExpectedAudience
    case tokenTooLarge(length: Int, limit: Int)
    case malformedToken(partCount: Int)
    case invalidBase64URL(Part)
    case invalidJSON(Part, reason: String)
    case notJSONObject(Part)
    /// `crit` lists extensions the verifier must understand; Signet understands none.
    case unsupportedCriticalHeader
    /// A header parameter other than alg, kid and typ (jwk, jku, x5u, x5c, ... let a token name its own key).
    case unsupportedHeaderParameter(String)
    /// alg, kid or typ is present but not a string.
    case invalidHeaderParameter(String)
    case unsupportedType(String)
    case missingAlgorithm
    case disallowedAlgorithm(String)
    case missingKeyID
    case unknownKeyID(String)
    case algorithmKeyMismatch(algorithm: JWTAlgorithm, key: JWTPublicKey)
    case missingSignature
    case signatureLengthMismatch(expected: Int, actual: Int)
    /// ECDSA r or s is zero: never valid, and the shape of the CVE-2022-21449 ("psychic signatures") forgery.
    case degenerateECDSASignature
    case invalidSignature
    case missingExpiry
    case invalidNumericDate(claim: String)
    case invalidClaim(name: String, reason: String)
    case expired(expiry: Date, now: Date)
    case notYetValid(notBefore: Date, now: Date)
    case issuedInFuture(issuedAt: Date, now: Date)
    case missingAudience
    case audienceMismatch(expected: String, actual: [String])
    case missingSubject
    case invalidSubject(String, SPIFFEIDError)
    case subjectOutsideTrustDomain(SPIFFEID, expected: TrustDomain)

    public var description: String {
        switch self {
        case .emptyExpectedAudience:
            "no audience to check against: the verifier must be given the audience it serves"
        case .tokenTooLarge(let length, let limit):
            "token is \(length) bytes; at most \(limit) are accepted"
        case .malformedToken(let count):
            "token has \(count) part\(count == 1 ? "" : "s"); a compact JWS has exactly 3 (header.payload.signature)"
        case .invalidBase64URL(let part):
            "\(part.rawValue) is not unpadded base64url (only A-Z a-z 0-9 - _, no '=')"
        case .invalidJSON(let part, let reason):
            "\(part.rawValue) is not valid JSON: \(reason)"
        case .notJSONObject(let part):
            "\(part.rawValue) is JSON but not an object"
        case .unsupportedCriticalHeader:
            "unsupported critical header: 'crit' names extensions this verifier does not implement"
        case .unsupportedHeaderParameter(let name):
            "header parameter '\(name)' is not allowed: only alg, kid and typ are accepted (keys come from the trust bundle, never from the token)"
        case .invalidHeaderParameter(let name):
            "header parameter '\(name)' must be a string"
        case .unsupportedType(let typ):
            "header typ '\(typ)' is not allowed: use JWT or JOSE"
        case .missingAlgorithm:
            "header has no 'alg'"
        case .disallowedAlgorithm(let alg):
            if alg.lowercased() == "none" {
                "alg '\(alg)': unsigned tokens are never accepted"
            } else if alg.uppercased().hasPrefix("HS") {
                "alg '\(alg)': HMAC is not accepted (a verifier holding only public keys would let anyone forge tokens)"
            } else {
                "alg '\(alg)' is not allowed: use one of \(JWTAlgorithm.allCases.map(\.rawValue).joined(separator: ", "))"
            }
        case .missingKeyID:
            "header has no 'kid': JWT-SVIDs must name their signing key"
        case .unknownKeyID(let kid):
            "kid '\(kid)' is not among the issuer's keys (trust bundle or JWKS)"
        case .algorithmKeyMismatch(let alg, let key):
            "alg \(alg.rawValue) cannot be used with \(key)"
        case .missingSignature:
            "token is unsigned (empty signature part)"
        case .signatureLengthMismatch(let expected, let actual):
            "signature is \(actual) bytes; this key and alg produce exactly \(expected)"
        case .degenerateECDSASignature:
            "ECDSA signature has r or s equal to zero (CVE-2022-21449 forgery shape)"
        case .invalidSignature:
            "signature does not verify: the token was altered or signed by another key"
        case .missingExpiry:
            "claim 'exp' is missing: JWT-SVIDs must expire"
        case .invalidNumericDate(let claim):
            "claim '\(claim)' must be a number of seconds since 1970 (NumericDate)"
        case .invalidClaim(let name, let reason):
            "claim '\(name)' \(reason)"
        case .expired(let expiry, let now):
            "token expired at \(Self.format(expiry)) (now \(Self.format(now)))"
        case .notYetValid(let notBefore, let now):
            "token is not valid before \(Self.format(notBefore)) (now \(Self.format(now)))"
        case .issuedInFuture(let issuedAt, let now):
            "token claims to be issued at \(Self.format(issuedAt)), in the future (now \(Self.format(now)))"
        case .missingAudience:
            "claim 'aud' is missing: JWT-SVIDs must name their audience"
        case .audienceMismatch(let expected, let actual):
            "audience \(actual) does not include '\(expected)'"
        case .missingSubject:
            "claim 'sub' is missing: JWT-SVIDs carry the workload's SPIFFE ID there"
        case .invalidSubject(let sub, let error):
            "claim 'sub' '\(sub)' is not a SPIFFE ID: \(error)"
        case .subjectOutsideTrustDomain(let id, let expected):
            "subject \(id) is not in trust domain \(expected)"
        }
    }

    private static func format(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
