/// The JWS algorithms Signet signs and accepts: the allow-list.
///
/// Anything not listed here (`none`, `HS*`, `EdDSA`, ...) is rejected by the
/// verifier before a key is even looked up. HMAC in particular is excluded on
/// purpose: a verifier that accepts HS256 can be fed a token MACed with the
/// *public* key it trusts.
public enum JWTAlgorithm: String, Sendable, Hashable, CaseIterable, Codable {
    case es256 = "ES256"
    case es384 = "ES384"
    case es512 = "ES512"
    case rs256 = "RS256"
    case rs384 = "RS384"
    case rs512 = "RS512"
    case ps256 = "PS256"
    case ps384 = "PS384"
    case ps512 = "PS512"

    /// The key type this algorithm needs; the verifier refuses a token whose `alg` names another family than its key.
    public var keyFamily: JWTKeyFamily {
        switch self {
        case .es256: .p256
        case .es384: .p384
        case .es512: .p521
        case .rs256, .rs384, .rs512, .ps256, .ps384, .ps512: .rsa
        }
    }

    /// Length in bytes of a JOSE ECDSA signature (r || s, each fixed width), `nil` for RSA.
    var ecdsaSignatureLength: Int? {
        switch self {
        case .es256: 64
        case .es384: 96
        case .es512: 132
        default: nil
        }
    }
}

/// A key family: the curve for ECDSA, or RSA (any modulus of 2048 bits or more).
///
/// ES384 must be verified with a P-384 key and nothing else; an RSA key may
/// serve RS* and PS* unless its JWK pins one `alg`.
public enum JWTKeyFamily: String, Sendable, Hashable, CaseIterable, Codable, CustomStringConvertible {
    case p256 = "P-256"
    case p384 = "P-384"
    case p521 = "P-521"
    case rsa = "RSA"

    /// JWK `kty` for this family.
    public var keyType: String { self == .rsa ? "RSA" : "EC" }

    /// The one ECDSA algorithm this curve is used with, `nil` for RSA.
    public var ecdsaAlgorithm: JWTAlgorithm? {
        switch self {
        case .p256: .es256
        case .p384: .es384
        case .p521: .es512
        case .rsa: nil
        }
    }

    /// Byte length of one EC coordinate (JWK `x`/`y` are fixed-width), `nil` for RSA.
    public var coordinateLength: Int? {
        switch self {
        case .p256: 32
        case .p384: 48
        case .p521: 66
        case .rsa: nil
        }
    }

    public var description: String { rawValue }
}
