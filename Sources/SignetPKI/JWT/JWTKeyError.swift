/// Why a JWT key (JWK, PEM, or freshly generated) cannot be used.
///
/// Keys reach Signet from files, federated bundles and operators; each case
/// says which rule the input broke so the message can be acted on without
/// reading source.
public enum JWTKeyError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `kty` is neither `EC` nor `RSA` (e.g. `oct`: symmetric keys never belong in a public key set).
    case unsupportedKeyType(String)
    /// `kid` is absent or empty; the verifier looks keys up by exact kid, so a key without one can never be used.
    case missingKeyID
    /// `use` is set to something other than `sig` or `jwt-svid`.
    case unsupportedUse(String)
    /// `alg` is not one of the allow-listed algorithms.
    case unsupportedAlgorithm(String)
    /// `alg` names an algorithm for another key family (e.g. `ES384` on a P-256 key).
    case algorithmMismatch(algorithm: JWTAlgorithm, family: JWTKeyFamily)
    /// `crv` is not P-256, P-384 or P-521.
    case unsupportedCurve(String)
    /// A required JWK member is absent.
    case missingParameter(String)
    /// A JWK member belongs to another key type (e.g. `n` on an EC key).
    case unexpectedParameter(String)
    /// A JWK member is not strict unpadded base64url.
    case invalidBase64URL(parameter: String)
    /// An EC coordinate has the wrong byte length for its curve (JWK coordinates are fixed-width).
    case invalidCoordinateLength(parameter: String, expected: Int, actual: Int)
    /// The EC point is not on the named curve (invalid-curve attacks).
    case pointNotOnCurve(JWTKeyFamily)
    /// The RSA modulus is shorter than 2048 bits.
    case rsaModulusTooSmall(bits: Int)
    /// The RSA modulus is longer than `JWTPublicKey.maxRSAModulusBits`; verifying with it would be a denial of service.
    case rsaModulusTooLarge(bits: Int)
    /// The RSA parameters were rejected by the crypto library (e.g. even or tiny exponent).
    case invalidRSAKey(String)
    /// The PEM text is not a private key of the family the algorithm needs.
    case invalidPEM(algorithm: JWTAlgorithm, reason: String)
    /// The crypto library failed to generate a key.
    case generationFailed(String)

    public var description: String {
        switch self {
        case .unsupportedKeyType(let kty):
            "unsupported JWK key type '\(kty)': only EC and RSA public keys are accepted"
        case .missingKeyID:
            "JWK has no 'kid': JWT-SVID keys must carry a key ID"
        case .unsupportedUse(let use):
            "JWK 'use' is '\(use)': only 'jwt-svid' or 'sig' keys may verify JWTs"
        case .unsupportedAlgorithm(let alg):
            "JWK 'alg' '\(alg)' is not allowed: use one of \(JWTAlgorithm.allCases.map(\.rawValue).joined(separator: ", "))"
        case .algorithmMismatch(let alg, let family):
            "JWK 'alg' \(alg.rawValue) needs a \(alg.keyFamily) key, but this is a \(family) key"
        case .unsupportedCurve(let crv):
            "unsupported EC curve '\(crv)': use P-256, P-384 or P-521"
        case .missingParameter(let name):
            "JWK is missing required member '\(name)'"
        case .unexpectedParameter(let name):
            "JWK member '\(name)' does not belong to this key type"
        case .invalidBase64URL(let name):
            "JWK member '\(name)' is not unpadded base64url"
        case .invalidCoordinateLength(let name, let expected, let actual):
            "JWK coordinate '\(name)' is \(actual) bytes; this curve needs exactly \(expected)"
        case .pointNotOnCurve(let family):
            "JWK x/y is not a point on \(family)"
        case .rsaModulusTooSmall(let bits):
            "RSA modulus is \(bits) bits; at least 2048 are required"
        case .rsaModulusTooLarge(let bits):
            "RSA modulus is \(bits) bits; at most \(JWTPublicKey.maxRSAModulusBits) are accepted"
        case .invalidRSAKey(let reason):
            "RSA key rejected: \(reason)"
        case .invalidPEM(let alg, let reason):
            "PEM is not a \(alg.keyFamily) private key usable for \(alg.rawValue): \(reason)"
        case .generationFailed(let reason):
            "key generation failed: \(reason)"
        }
    }
}
