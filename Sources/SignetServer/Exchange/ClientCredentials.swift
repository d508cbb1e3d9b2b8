import Crypto
import Foundation
import SignetCore
import SignetPKI
import SignetStore

/// The TLS client certificate of a request, as the handshake validated it against this trust domain.
struct PeerCertificate: Sendable {
    let spiffeID: SPIFFEID?
    let leafDER: [UInt8]

    /// RFC 8705 §3.1 certificate thumbprint: base64url(SHA-256(leaf DER)).
    var thumbprintS256: String { Base64URL.encode(Array(SHA256.hash(data: leafDER))) }
}

/// `grant_type=client_credentials` for legacy APIs that speak OAuth: a registered client
/// authenticates with `private_key_jwt` (RFC 7523) or `tls_client_auth` (RFC 8705) and receives
/// an RFC 9068 access token for its registered identity and one of its registered audiences.
/// mTLS-authenticated clients get certificate-bound tokens (`cnf.x5t#S256`).
extension SignetAuthority {
    static let clientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    /// Latest `exp` accepted on a client assertion, relative to now: a long-lived assertion is a bearer secret.
    static let maxAssertionLifetime: TimeInterval = 3600

    func clientCredentials(_ form: OAuthForm, peer: @Sendable () async -> PeerCertificate?) async throws(OAuthError)
        -> String
    {
        var details = ["grant": "client_credentials"]
        do {
            return try await performClientCredentials(form, peer: peer, details: &details)
        } catch {
            throw error.adding(details)
        }
    }

    private func performClientCredentials(
        _ form: OAuthForm, peer: @Sendable () async -> PeerCertificate?, details: inout [String: String]
    ) async throws(OAuthError) -> String {
        let assertion = form["client_assertion"]
        let assertionType = form["client_assertion_type"]
        if assertion != nil || assertionType != nil {
            guard assertionType == Self.clientAssertionType else {
                throw OAuthError.invalidRequest("client_assertion_type must be \(Self.clientAssertionType)")
            }
            guard assertion != nil else { throw OAuthError.invalidRequest("client_assertion is missing") }
        }
        var parsedAssertion: ExternalJWT?
        if let assertion {
            do {
                parsedAssertion = try ExternalJWT(parsing: assertion)
            } catch {
                throw OAuthError.invalidClient("client_assertion is not a JWT", reason: "client_assertion: \(error)")
            }
        }
        guard let clientID = form["client_id"] ?? parsedAssertion?.issuer else {
            throw OAuthError.invalidClient(
                "client authentication is required: send client_assertion (private_key_jwt) or client_id over mTLS (tls_client_auth)"
            )
        }
        details["client_id"] = clientID
        if let iss = parsedAssertion?.issuer, !iss.utf8.elementsEqual(clientID.utf8) {
            throw OAuthError.invalidClient(
                "client authentication failed", reason: "client_id \(clientID) differs from the assertion's iss \(iss)")
        }
        let client: OAuthClient?
        do {
            client = try await store.oauthClient(id: clientID)
        } catch {
            throw OAuthError(.serverError, "client lookup failed; retry", reason: "loading client \(clientID): \(error)")
        }
        guard let client else {
            throw OAuthError.invalidClient("client authentication failed", reason: "no OAuth client \(clientID)")
        }
        details["auth_method"] = client.authentication.methodName

        var consuming: [TokenUse] = []
        var extra: [String: JSONValue] = [:]
        switch client.authentication {
        case .privateKeyJWT(let jwks):
            guard let parsedAssertion, let assertion else {
                throw OAuthError.invalidClient(
                    "client authentication failed: this client authenticates with private_key_jwt",
                    reason: "client \(clientID) is private_key_jwt but sent no client_assertion")
            }
            consuming.append(try verifyAssertion(parsedAssertion, raw: assertion, client: client, jwks: jwks))
        case .tlsClientAuth(let sanURI):
            guard parsedAssertion == nil else {
                throw OAuthError.invalidClient(
                    "client authentication failed: this client authenticates with tls_client_auth",
                    reason: "client \(clientID) is tls_client_auth but sent a client_assertion")
            }
            guard let certificate = await peer() else {
                throw OAuthError.invalidClient(
                    "client authentication failed: present the client's X.509-SVID over mTLS",
                    reason: "client \(clientID) is tls_client_auth; no client certificate presented")
            }
            guard let presented = certificate.spiffeID, presented == sanURI else {
                throw OAuthError.invalidClient(
                    "client authentication failed",
                    reason:
                        "client \(clientID) expects SAN URI \(sanURI); certificate carries \(certificate.spiffeID?.description ?? "no single SPIFFE ID")"
                )
            }
            extra["cnf"] = .object(["x5t#S256": .string(certificate.thumbprintS256)])
            details["cnf_x5t_s256"] = certificate.thumbprintS256
        }

        var audiences = try Self.requestedAudiences(form)
        if audiences.isEmpty {
            guard client.audiences.count == 1 else {
                throw OAuthError.invalidTarget(
                    "audience (or resource) is required: this client is registered for several audiences")
            }
            audiences = client.audiences
        }
        for audience in audiences where !client.audiences.contains(where: { $0.utf8.elementsEqual(audience.utf8) }) {
            throw OAuthError.invalidTarget(
                "audience '\(OAuthForm.printable(audience))' is not registered for this client",
                reason: "client \(clientID) may request \(client.audiences), not \(audience)")
        }
        details["audience"] = audiences.joined(separator: " ")
        let ttl = min(client.maxTTL, configuration.jwtMaxTTL)
        guard ttl >= 1 else { throw OAuthError(.serverError, "client misconfigured", reason: "client max_ttl \(ttl)") }
        return try await issue(
            TokenIssuance(
                kind: .accessToken(clientID: client.id), spiffeID: client.spiffeID, audiences: audiences, ttl: ttl,
                extraClaims: extra, consuming: consuming, issuedTo: "oauth-client:\(client.id)",
                reportIssuedTokenType: false, details: details, replayCode: .invalidClient))
    }

    /// RFC 7523 §3: signed by a registered key, iss = sub = client_id, aud = this token endpoint or
    /// issuer, exp required and at most an hour ahead, jti required (consumed once).
    private func verifyAssertion(_ assertion: ExternalJWT, raw: String, client: OAuthClient, jwks: String)
        throws(OAuthError) -> TokenUse
    {
        let verifier: ExternalJWTVerifier
        do {
            verifier = try ExternalJWTVerifier(keys: try JWKSet.parse(jwks, mode: .strict).keys)
        } catch {
            throw OAuthError(.serverError, "client misconfigured", reason: "client \(client.id) JWKS unusable: \(error)")
        }
        let verified: VerifiedExternalJWT
        do {
            verified = try verifier.verify(assertion, issuer: client.id)
        } catch {
            throw OAuthError.invalidClient(
                "client assertion " + Self.publicReason(error), reason: "client \(client.id) assertion: \(error)")
        }
        guard let sub = verified.subject, sub.utf8.elementsEqual(client.id.utf8) else {
            throw OAuthError.invalidClient(
                "client assertion 'sub' must equal client_id", reason: "assertion sub \(verified.subject ?? "-")")
        }
        let audiences: [String] =
            switch verified.claims["aud"] {
            case .string(let one)?: [one]
            case .array(let many)?: many.compactMap(\.stringValue)
            default: []
            }
        let accepted = [tokenEndpointURL, issuer]
        guard audiences.contains(where: { aud in accepted.contains { $0.utf8.elementsEqual(aud.utf8) } }) else {
            throw OAuthError.invalidClient(
                "client assertion 'aud' must be \(tokenEndpointURL) or \(issuer)", reason: "assertion aud \(audiences)")
        }
        let now = Date()
        guard verified.expiry <= now.addingTimeInterval(Self.maxAssertionLifetime + JWTVerifier.maxLeeway) else {
            throw OAuthError.invalidClient(
                "client assertion 'exp' must be at most one hour ahead", reason: "assertion exp \(verified.expiry)")
        }
        guard let jti = verified.jti, !jti.isEmpty else {
            throw OAuthError.invalidClient("client assertion needs a 'jti' claim", reason: "assertion without jti")
        }
        return TokenUse(
            key: ReplayCache.key(issuer: client.id, jti: jti, token: raw),
            expiresAt: verified.expiry.addingTimeInterval(JWTVerifier.maxLeeway))
    }
}
