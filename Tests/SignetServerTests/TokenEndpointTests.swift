import AsyncHTTPClient
import Crypto
import Foundation
import SignetCore
import SignetPKI
import Testing
import X509
@testable import SignetServer

/// `POST /oauth2/token`, token exchange with external subject tokens (RFC 8693), against an
/// in-process server whose trust rules pin a local issuer's JWKS.
@Suite(.serialized)
struct TokenEndpointTests {
    static let jwtType = "urn:ietf:params:oauth:token-type:jwt"
    static let accessTokenType = "urn:ietf:params:oauth:token-type:access_token"
    static let x509Type = "urn:signet:params:oauth:token-type:x509-svid"

    @Test func externalTokenIsExchangedForAJWTSVIDOnceOnly() async throws {
        let server = try await TestServer.start()
        defer { Task { try await server.stop() } }
        let issuer = try TestIssuer()
        try await server.addRule(name: "github-acme", issuer: issuer)
        let subject = issuer.githubToken()

        let reply = try await server.token(TestServer.exchangeParameters(subject: subject))
        #expect(reply.status == 200, "\(reply.json)")
        #expect(reply.headers.first(name: "Cache-Control") == "no-store")
        #expect(reply.headers.first(name: "Pragma") == "no-cache")
        #expect(reply.json["issued_token_type"] as? String == Self.jwtType)
        #expect(reply.json["token_type"] as? String == "N_A")
        let expiresIn = try #require(reply.json["expires_in"] as? Int)
        #expect(expiresIn == 300, "min(rule 600 s, JWT default 300 s, JWT max 300 s)")

        let token = try #require(reply.accessToken)
        // A real JWT-SVID: the standard verifier of this trust domain accepts it for the requested audience.
        let svid = try JWTVerifier(trustDomain: try TrustDomain("example.org"), keys: try await server.publishedKeys())
            .verify(token: token, audience: "https://api.example.org")
        #expect(svid.spiffeID.description == "spiffe://example.org/ci/github/acme/api")
        #expect(svid.header.type == "JWT")
        #expect(svid.claims.iss == server.baseURL)
        #expect(svid.claims.extra["signet_rule"] == .string("github-acme"))
        #expect(svid.claims.extra["act"] == nil)

        let replay = try await server.token(TestServer.exchangeParameters(subject: subject))
        #expect(replay.status == 400)
        #expect(replay.error == "invalid_grant")
        #expect(replay.errorDescription == "subject token already used")

        let events = try await server.exchangeEvents()
        let granted = try #require(events.first { $0["outcome"] as? String == "success" })
        let details = try #require(granted["details"] as? [String: String])
        #expect(details["rule"] == "github-acme")
        #expect(details["issuer"] == issuer.issuer)
        #expect(details["external_sub"] == "repo:acme/api:ref:refs/heads/main")
        #expect(details["spiffe_id"] == "spiffe://example.org/ci/github/acme/api")
        #expect(details["audience"] == "https://api.example.org")
        #expect(details["jti"] == svid.claims.jti)
        let denied = try #require(events.last)
        #expect(denied["outcome"] as? String == "denied")
        #expect((denied["reason"] as? String)?.contains("already used") == true)
        // Tokens never reach the event log.
        let raw = String(decoding: try await server.request(server.admin, .GET, "/v1/events").body, as: UTF8.self)
        #expect(!raw.contains(subject.split(separator: ".")[2]))
        #expect(!raw.contains(token.split(separator: ".")[2]))
        // The credential inventory has it.
        let records = try await server.request(server.admin, .GET, "/v1/credentials")
        let serials = (records.json["credentials"] as? [[String: Any]] ?? []).compactMap { $0["serial"] as? String }
        #expect(serials.contains(svid.claims.jti ?? "-"))
    }

    @Test func accessTokenAndX509SVIDCanBeRequested() async throws {
        let server = try await TestServer.start()
        defer { Task { try await server.stop() } }
        let issuer = try TestIssuer(algorithm: .rs256, kid: "rsa-1")
        try await server.addRule(name: "github-acme", issuer: issuer, maxTTL: 120)

        let at = try await server.token(
            TestServer.exchangeParameters(subject: issuer.githubToken(), requested: Self.accessTokenType))
        #expect(at.status == 200, "\(at.json)")
        #expect(at.json["issued_token_type"] as? String == Self.accessTokenType)
        #expect(at.json["token_type"] as? String == "Bearer")
        #expect(at.json["expires_in"] as? Int == 120, "the rule's max_ttl caps the lifetime")
        let verified = try await server.verifyIssued(try #require(at.accessToken))
        #expect(verified.header["typ"] == .string("at+jwt"))
        #expect(verified.claims["sub"] == .string("spiffe://example.org/ci/github/acme/api"))
        #expect(verified.claims["aud"] == .string("https://api.example.org"))
        #expect(verified.claims["client_id"] == .string("spiffe://example.org/ci/github/acme/api"))
        #expect(verified.jti != nil && verified.issuedAt != nil)

        // X.509-SVID for a CSR: the chain's leaf carries the mapped ID and the CSR's key.
        let key = P256.Signing.PrivateKey()
        let csr = try CertificateSigningRequest(
            version: .v1, subject: try DistinguishedName { CommonName("ci") }, privateKey: .init(key),
            attributes: CertificateSigningRequest.Attributes(), signatureAlgorithm: .ecdsaWithSHA256)
        let csrPEM = try csr.serializeAsPEM().pemString
        var parameters = TestServer.exchangeParameters(subject: issuer.githubToken(), audience: nil, requested: Self.x509Type)
        parameters.append(("csr", csrPEM))
        let x509 = try await server.token(parameters)
        #expect(x509.status == 200, "\(x509.json)")
        #expect(x509.json["issued_token_type"] as? String == Self.x509Type)
        #expect(x509.json["token_type"] as? String == "N_A")
        let chain = try #require(x509.accessToken)
        let leaf = try Certificate(derEncoded: try TestServer.leafDER(ofChain: chain))
        #expect(leaf.publicKey == Certificate.PublicKey(key.publicKey))
        let sans = try #require(try leaf.extensions.subjectAlternativeNames)
        #expect(sans.contains(.uniformResourceIdentifier("spiffe://example.org/ci/github/acme/api")))
        // The rule's max_ttl caps the certificate too (its notBefore is backdated for clock skew, so measure from now).
        #expect(x509.json["expires_in"] as? Int == 120)
        #expect(leaf.notValidAfter.timeIntervalSinceNow <= 121)

        // A CSR that is not one is refused without consuming the subject token.
        let subject = issuer.githubToken()
        var bad = TestServer.exchangeParameters(subject: subject, audience: nil, requested: Self.x509Type)
        bad.append(("csr", "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"))
        let refused = try await server.token(bad)
        #expect(refused.error == "invalid_request")
        #expect(try await server.token(TestServer.exchangeParameters(subject: subject)).status == 200)
    }

    @Test func refusalsAreOAuthErrorsThatConsumeNothing() async throws {
        let server = try await TestServer.start()
        defer { Task { try await server.stop() } }
        let issuer = try TestIssuer()
        try await server.addRule(name: "github-acme", issuer: issuer)
        let now = Date().timeIntervalSince1970.rounded(.down)

        func expect(_ token: String, _ error: String, _ description: String? = nil, sourceLocation: SourceLocation = #_sourceLocation)
            async throws
        {
            let reply = try await server.token(TestServer.exchangeParameters(subject: token))
            #expect(reply.status == 400, sourceLocation: sourceLocation)
            #expect(reply.error == error, "\(reply.json)", sourceLocation: sourceLocation)
            #expect(reply.headers.first(name: "Cache-Control") == "no-store", sourceLocation: sourceLocation)
            if let description {
                #expect(reply.errorDescription.contains(description), "\(reply.errorDescription)", sourceLocation: sourceLocation)
            }
        }

        let other = try TestIssuer(issuer: "https://other.test")
        try await expect(other.githubToken(), "invalid_grant", "no trust rule accepts")
        try await expect(issuer.githubToken(audience: "someone-else"), "invalid_grant", "no trust rule accepts")
        try await expect(issuer.githubToken { $0["exp"] = .number(now - 120) }, "invalid_grant", "has expired")
        try await expect(issuer.githubToken { $0["nbf"] = .number(now + 600) }, "invalid_grant", "not valid yet")
        try await expect(issuer.githubToken { $0["repository_owner"] = .string("evil") }, "invalid_grant", "no trust rule accepts")
        // Claim injection: a repository name that would add path segments is refused, never escaped.
        try await expect(issuer.githubToken(repository: "acme/../../x"), "invalid_grant", "no trust rule accepts")
        try await expect(issuer.githubToken { $0["repository"] = .string("acme/a%2Fb") }, "invalid_grant")
        // Algorithm and key attacks.
        let claims = issuer.githubClaims()
        let unsigned =
            Base64URL.encode(Array(#"{"alg":"none","kid":"issuer-key-1"}"#.utf8)) + "."
            + Base64URL.encode(Array(JSONValue.object(claims).description.utf8)) + "."
        try await expect(unsigned, "invalid_grant", "algorithm that is not accepted")
        let input =
            Base64URL.encode(Array(#"{"alg":"HS256","kid":"issuer-key-1"}"#.utf8)) + "."
            + Base64URL.encode(Array(JSONValue.object(claims).description.utf8))
        let mac = HMAC<SHA256>.authenticationCode(
            for: Array(input.utf8), using: SymmetricKey(data: Array(issuer.jwks.utf8)))
        try await expect(input + "." + Base64URL.encode(Array(mac)), "invalid_grant", "algorithm that is not accepted")
        let stranger = try JWTSigningKey.generate(.es256, kid: "unknown-kid")
        try await expect(issuer.sign(issuer.githubClaims(), with: stranger), "invalid_grant", "unknown key")
        let impostor = try JWTSigningKey.generate(.es256, kid: "issuer-key-1")
        try await expect(issuer.sign(issuer.githubClaims(), with: impostor), "invalid_grant", "is not valid")
        let jku = #"{"alg":"ES256","kid":"issuer-key-1","jku":"https://evil.test/keys"}"#
        try await expect(issuer.sign(issuer.githubClaims(), header: jku), "invalid_grant")
        try await expect("not-a-jwt", "invalid_request")

        // None of those consumed anything, and each left a denied event with the full reason.
        let events = try await server.exchangeEvents()
        #expect(events.count == 13)
        #expect(events.allSatisfy { $0["outcome"] as? String == "denied" })
        let reasons = events.compactMap { $0["reason"] as? String }
        #expect(reasons.contains { $0.contains("condition is false") })
        #expect(reasons.contains { $0.contains("repository") && $0.contains("github-acme") })
    }

    @Test func malformedRequestsAreRefused() async throws {
        let server = try await TestServer.start()
        defer { Task { try await server.stop() } }
        let issuer = try TestIssuer()
        try await server.addRule(name: "github-acme", issuer: issuer)
        let subject = issuer.githubToken()
        let base = TestServer.exchangeParameters(subject: subject)

        let json = try await server.token(base, contentType: "application/json")
        #expect(json.error == "invalid_request")
        let unknownGrant = try await server.token([("grant_type", "password"), ("username", "u")])
        #expect(unknownGrant.error == "unsupported_grant_type")
        let noGrant = try await server.token([("subject_token", subject)])
        #expect(noGrant.error == "invalid_request")
        #expect(try await server.token(base + [("grant_type", "client_credentials")]).error == "invalid_request",
            "a repeated parameter is refused")
        #expect(try await server.token(Array(base.dropLast())).error == "invalid_request", "audience is required")
        var wrongType = base
        wrongType[2] = ("subject_token_type", "urn:ietf:params:oauth:token-type:saml2")
        #expect(try await server.token(wrongType).error == "invalid_request")
        #expect(try await server.token(base + [("requested_token_type", "urn:x:unknown")]).error == "invalid_request")
        #expect(try await server.token(base + [("actor_token_type", Self.jwtType)]).error == "invalid_request")
        #expect(try await server.token(base + [("actor_token", subject)]).error == "invalid_request")
        #expect(try await server.token(base + [("resource", "not a uri")]).error == "invalid_target")
        #expect(try await server.token([], rawBody: "grant_type=%zz").error == "invalid_request")
        #expect(try await server.token([], rawBody: "grant_type=%FF%FE").error == "invalid_request")
        let huge = try await server.token([], rawBody: "grant_type=" + String(repeating: "a", count: 70 * 1024))
        #expect(huge.status == 400)
        #expect(huge.error == "invalid_request")
        // After all that, the subject token is still unused.
        #expect(try await server.token(base).status == 200)
    }

    @Test func ambiguousMappingsAreRefusedAndTrustTestExplainsThem() async throws {
        let server = try await TestServer.start()
        defer { Task { try await server.stop() } }
        let issuer = try TestIssuer()
        try await server.addRule(name: "by-repo", issuer: issuer)
        try await server.addRule(
            name: "by-owner", issuer: issuer, audience: "signet",
            template: "spiffe://example.org/ci/owner/{repository_owner}")
        let token = issuer.githubToken()
        let reply = try await server.token(TestServer.exchangeParameters(subject: token))
        #expect(reply.error == "invalid_grant")
        #expect(reply.errorDescription.contains("ambiguous"))

        let report = try await server.request(server.admin, .POST, "/v1/trust-rules/test", json: ["token": token])
        if report.status == 200 {
            #expect(report.json["signature"] as? String == "valid")
            let results = report.json["results"] as? [[String: Any]] ?? []
            #expect(results.compactMap { $0["rule"] as? String } == ["by-owner", "by-repo"])
            #expect(results.allSatisfy { $0["matched"] as? Bool == true })
        }
        // Removing one rule resolves the ambiguity at once (the admin API tells the exchange).
        #expect(try await server.request(server.admin, .DELETE, "/v1/trust-rules/by-owner").status == 200)
        let after = try await server.token(TestServer.exchangeParameters(subject: token))
        #expect(after.status == 200, "\(after.json)")
    }

    @Test func discoveryDocumentAdvertisesTheTokenEndpoint() async throws {
        let server = try await TestServer.start()
        defer { Task { try await server.stop() } }
        let document = try await server.request(server.anonymous, .GET, "/.well-known/openid-configuration").json
        #expect(document["token_endpoint"] as? String == server.baseURL + "/oauth2/token")
        #expect(document["grant_types_supported"] as? [String]
            == ["urn:ietf:params:oauth:grant-type:token-exchange", "client_credentials"])
        #expect(document["token_endpoint_auth_methods_supported"] as? [String] == ["private_key_jwt", "tls_client_auth"])
        #expect((document["token_endpoint_auth_signing_alg_values_supported"] as? [String])?.contains("ES256") == true)
        #expect(document["tls_client_certificate_bound_access_tokens"] as? Bool == true)
    }
}
