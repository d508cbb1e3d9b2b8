import Foundation
import SignetCore
import SignetPKI
import SignetStore

/// JWT-SVID minting for callers of the admin API.
extension SignetAuthority {
    public struct MintedJWT: Sendable {
        public let token: String
        public let claims: JWTClaims
        public let entryID: String
    }

    /// Mints a JWT-SVID (header alg/kid/typ only; claims sub, aud, exp, iat, iss, jti) and records it first.
    public func mintJWTSVID(spiffeID: SPIFFEID, audience: [String], requestedTTL: Int?, actor: String) async throws
        -> MintedJWT
    {
        guard !audience.contains(where: \.isEmpty) else {
            throw APIError.badRequest("audience values must be non-empty strings")
        }
        guard !audience.isEmpty else {
            throw APIError.badRequest("audience is required: name the service(s) the token is for")
        }
        guard audience.count <= 32, audience.allSatisfy({ $0.utf8.count <= 512 }) else {
            throw APIError.badRequest("at most 32 audiences of at most 512 bytes each")
        }
        let entry = try await authorisingEntry(for: spiffeID, entryID: nil, actor: actor, action: "svid.jwt.issue")
        let ttl = min(requestedTTL ?? entry.jwtTTL, entry.jwtTTL, configuration.jwtMaxTTL)
        guard ttl > 0 else { throw APIError.badRequest("ttl must be positive") }
        let key = jwtKeys.active
        let now = Date()
        let claims = JWTClaims(
            sub: spiffeID.description, aud: audience, exp: now.addingTimeInterval(TimeInterval(ttl)), iat: now,
            iss: issuer)
        let token = JWTSigner.sign(claims: claims, key: key)
        let record = CredentialRecord(
            serial: claims.jti ?? JWTClaims.newJTI(), kind: .jwtSVID, spiffeID: spiffeID, entryID: entry.id,
            publicKeyFingerprint: key.kid, notBefore: claims.iat ?? now, notAfter: claims.exp, issuedTo: actor,
            audience: audience)
        let event = AuditEvent(
            actor: actor, action: "svid.jwt.issue", subject: spiffeID.description, outcome: .success,
            details: ["jti": record.serial, "aud": audience.joined(separator: " "), "kid": key.kid])
        try await store.recordIssuance(record, event: event)
        return MintedJWT(token: token, claims: claims, entryID: entry.id)
    }
}
