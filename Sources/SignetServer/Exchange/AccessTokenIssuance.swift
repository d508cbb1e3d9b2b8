import Foundation
import SignetCore
import SignetPKI
import SignetStore
import X509

/// What the token endpoint hands out, once every check passed.
struct TokenIssuance: Sendable {
    enum Kind: Sendable {
        /// A JWT-SVID (`typ: JWT`), RFC 8693 issued_token_type `...:jwt`, token_type `N_A`.
        case jwtSVID
        /// An RFC 9068 access token (`typ: at+jwt`), token_type `Bearer`.
        case accessToken(clientID: String)
        /// An X.509-SVID chain for the CSR's key (Signet extension), token_type `N_A`.
        case x509SVID(Certificate.PublicKey)
    }

    var kind: Kind
    var spiffeID: SPIFFEID
    var audiences: [String]
    var ttl: Int
    /// Extra claims of a JWT (`act`, `signet_rule`, `cnf`).
    var extraClaims: [String: JSONValue] = [:]
    /// Single-use tokens this issuance consumes (subject token, client assertion).
    var consuming: [TokenUse] = []
    /// Recorded as the credential's `issued_to` and the event's actor.
    var issuedTo: String
    /// `issued_token_type` in the response, when the grant is a token exchange.
    var reportIssuedTokenType: Bool
    /// Event details (grant, rule, issuer, ...), without the token.
    var details: [String: String]
    /// The error a replayed single-use token earns: `invalid_grant` for a subject token,
    /// `invalid_client` for a client assertion (it is the client's credential).
    var replayCode: OAuthError.Code = .invalidGrant
}

/// RFC 8693 token type URIs.
enum TokenTypeURI {
    static let jwt = "urn:ietf:params:oauth:token-type:jwt"
    static let idToken = "urn:ietf:params:oauth:token-type:id_token"
    static let accessToken = "urn:ietf:params:oauth:token-type:access_token"
    static let x509SVID = "urn:signet:params:oauth:token-type:x509-svid"
    /// Token types accepted for subject and actor tokens: all three are JWTs.
    static let acceptedInputs: Set<String> = [jwt, idToken, accessToken]
}

extension SignetAuthority {
    /// Signs (or certifies), records the credential with its `exchange.token` event and the consumed
    /// tokens in one transaction, and only then returns the response. A consumed token that turns out
    /// to be used already (here or on another server sharing the store) yields `invalid_grant`.
    func issue(_ issuance: TokenIssuance) async throws(OAuthError) -> String {
        let now = Date()
        guard exchange.replay.reserve(issuance.consuming, now: now) else {
            throw OAuthError(
                issuance.replayCode, Self.replayDescription(issuance.replayCode),
                reason: "replay: a single-use token of this request was already used", details: issuance.details)
        }
        var details = issuance.details
        details["spiffe_id"] = issuance.spiffeID.description
        details["ttl"] = String(issuance.ttl)
        let record: CredentialRecord
        var body = "{"
        let expires = now.addingTimeInterval(TimeInterval(issuance.ttl))
        switch issuance.kind {
        case .jwtSVID, .accessToken:
            let key = jwtKeys.active
            var extra = issuance.extraClaims
            let isAccessToken: Bool
            if case .accessToken(let clientID) = issuance.kind {
                extra["client_id"] = .string(clientID)
                isAccessToken = true
            } else {
                isAccessToken = false
            }
            let claims = JWTClaims(
                sub: issuance.spiffeID.description, aud: issuance.audiences, exp: expires, iat: now, iss: issuer,
                extra: extra)
            let token = JWTSigner.sign(claims: claims, key: key, type: isAccessToken ? .accessToken : .jwt)
            let jti = claims.jti ?? JWTClaims.newJTI()
            details["jti"] = jti
            details["kid"] = key.kid
            details["token_type"] = isAccessToken ? "access_token" : "jwt-svid"
            record = CredentialRecord(
                serial: jti, kind: isAccessToken ? .accessToken : .jwtSVID, spiffeID: issuance.spiffeID, entryID: nil,
                publicKeyFingerprint: key.kid, notBefore: claims.iat ?? now, notAfter: claims.exp,
                issuedTo: issuance.issuedTo, issuedAt: now, audience: issuance.audiences)
            Self.member("access_token", token, into: &body)
            if issuance.reportIssuedTokenType {
                Self.member("issued_token_type", isAccessToken ? TokenTypeURI.accessToken : TokenTypeURI.jwt, into: &body)
            }
            Self.member("token_type", isAccessToken ? "Bearer" : "N_A", into: &body)
        case .x509SVID(let publicKey):
            let svid: IssuedX509SVID
            do {
                svid = try ca.issueX509SVID(
                    X509SVIDRequest(spiffeID: issuance.spiffeID, publicKey: publicKey, ttl: issuance.ttl, now: now))
            } catch {
                exchange.replay.release(issuance.consuming)
                throw OAuthError(.serverError, "issuance failed; see the server log", reason: "X.509 issuance: \(error)")
            }
            details["serial"] = svid.serialHex
            details["token_type"] = "x509-svid"
            record = CredentialRecord(
                serial: svid.serialHex, kind: .x509SVID, spiffeID: issuance.spiffeID, entryID: nil,
                publicKeyFingerprint: svid.publicKeyFingerprint, notBefore: svid.certificate.notValidBefore,
                notAfter: svid.certificate.notValidAfter, issuedTo: issuance.issuedTo, issuedAt: now)
            Self.member("access_token", svid.chainPEM, into: &body)
            Self.member("issued_token_type", TokenTypeURI.x509SVID, into: &body)
            Self.member("token_type", "N_A", into: &body)
        }
        body += #""expires_in":"# + String(issuance.ttl) + "}"

        let event = AuditEvent(
            time: now, actor: issuance.issuedTo, action: "exchange.token", subject: issuance.spiffeID.description,
            outcome: .success, details: details)
        do {
            try await store.recordIssuance(record, event: event, consuming: issuance.consuming, now: now)
        } catch StoreError.conflict(let message) where !issuance.consuming.isEmpty && message.contains("already used") {
            exchange.replay.markUsed(issuance.consuming)
            throw OAuthError(
                issuance.replayCode, Self.replayDescription(issuance.replayCode),
                reason: "replay refused by the store: \(message)", details: details)
        } catch {
            exchange.replay.release(issuance.consuming)
            throw OAuthError(.serverError, "issuance could not be recorded; retry", reason: "recording failed: \(error)")
                .adding(details)
        }
        exchange.replay.commit(issuance.consuming)
        return body
    }

    static func replayDescription(_ code: OAuthError.Code) -> String {
        code == .invalidClient ? "client assertion already used" : "subject token already used"
    }

    /// Appends `"name":"value",` to a JSON object being built.
    private static func member(_ name: String, _ value: String, into body: inout String) {
        JSONValue.writeString(name, into: &body)
        body += ":"
        JSONValue.writeString(value, into: &body)
        body += ","
    }
}
