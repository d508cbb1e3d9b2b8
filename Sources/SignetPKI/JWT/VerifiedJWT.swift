import Foundation
import SignetCore

/// The protected header of a verified token: the only three parameters Signet accepts.
public struct JWTHeader: Sendable, Hashable {
    public let algorithm: JWTAlgorithm
    public let kid: String
    /// `JWT`, `JOSE`, or absent.
    public let type: String?
}

/// A JWT-SVID that passed every check of `JWTVerifier.verify`; holding one means the caller may trust it.
public struct VerifiedJWT: Sendable, Hashable {
    public let header: JWTHeader
    public let claims: JWTClaims
    /// The workload identity, parsed from `sub` and inside the verifier's trust domain.
    public let spiffeID: SPIFFEID
    public let expiry: Date
}

/// A token split and decoded but NOT verified: for diagnostics only (`signet jwt verify` shows it next to the
/// reason verification failed). Nothing here may be used to make an authorization decision.
public struct UnverifiedJWT: Sendable, Hashable {
    public let header: [String: JSONValue]
    public let payload: [String: JSONValue]
    public let signature: [UInt8]

    /// Typed claims, when the payload has the required ones with the right types.
    public func claims() throws(JWTValidationError) -> JWTClaims {
        try JWTClaims(payload: payload)
    }
}
