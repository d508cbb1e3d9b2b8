import AsyncHTTPClient
import Crypto
import Foundation
import NIOSSL
import SignetCore
@testable import SignetPKI
import Testing
import X509
@testable import SignetServer

/// `grant_type=client_credentials` with private_key_jwt (RFC 7523) and tls_client_auth (RFC 8705).
@Suite(.serialized)
struct ClientCredentialsEndpointTests {
    static let assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

    static func assertion(
        key: JWTSigningKey, clientID: String = "billing-batch", audience: String, lifetime: TimeInterval = 60,
        jti: String? = UUID().uuidString, sub: String? = nil
    ) -> String {
        let now = Date().timeIntervalSince1970.rounded(.down)
        var claims: [String: JSONValue] = [
            "iss": .string(clientID), "sub": .string(sub ?? clientID), "aud": .string(audience),
            "iat": .number(now), "exp": .number(now + lifetime),
        ]
        if let jti { claims["jti"] = .string(jti) }
        let input =
            Base64URL.encode(Array(#"{"alg":"ES256","kid":"\#(key.kid)","typ":"JWT"}"#.utf8)) + "."
            + Base64URL.encode(Array(JSONValue.object(claims).description.utf8))
        return input + "." + Base64URL.encode(try! key.signature(for: Array(input.utf8)))
    }

    static func parameters(_ assertion: String, audience: String? = nil) -> [(String, String)] {
        var p = [
            ("grant_type", "client_credentials"), ("client_assertion_type", assertionType),
            ("client_assertion", assertion),
        ]
        if let audience { p.append(("audience", audience)) }
        return p
    }

    @Test func privateKeyJWTClientsGetAccessTokensForRegisteredAudiences() async throws {
        let server = try await TestServer.start()
        defer { Task { try await server.stop() } }
        let key = try JWTSigningKey.generate(.es256, kid: "client-key-1")
        struct Set: Encodable { let keys: [JWK] }
        let jwks = String(decoding: try JSONEncoder().encode(Set(keys: [key.publicKey.jwk(use: "sig", includeAlg: true)])), as: UTF8.self)
        let created = try await server.request(
            server.admin, .POST, "/v1/oauth-clients",
            json: [
                "client_id": "billing-batch", "method": "private_key_jwt", "jwks": jwks,
                "spiffe_id": "spiffe://example.org/legacy/billing", "audiences": ["https://billing.example.org"],
                "max_ttl": 120, "owner": "billing", "purpose": "nightly batch",
            ])
        #expect(created.status == 201, "\(created.json)")
        let endpoint = server.baseURL + "/oauth2/token"

        let assertion = Self.assertion(key: key, audience: endpoint)
        let reply = try await server.token(Self.parameters(assertion))
        #expect(reply.status == 200, "\(reply.json)")
        #expect(reply.json["token_type"] as? String == "Bearer")
        #expect(reply.json["expires_in"] as? Int == 120)
        #expect(reply.json["issued_token_type"] == nil)
        let verified = try await server.verifyIssued(try #require(reply.accessToken))
        #expect(verified.header["typ"] == .string("at+jwt"))
        #expect(verified.claims["sub"] == .string("spiffe://example.org/legacy/billing"))
        #expect(verified.claims["aud"] == .string("https://billing.example.org"))
        #expect(verified.claims["client_id"] == .string("billing-batch"))
        #expect(verified.claims["cnf"] == nil)

        // The assertion's jti is consumed.
        let replay = try await server.token(Self.parameters(assertion))
        #expect(replay.error == "invalid_client")
        #expect(replay.errorDescription == "client assertion already used")

        // aud = issuer also works; an explicit registered audience is accepted, others are invalid_target.
        let byIssuer = Self.assertion(key: key, audience: server.baseURL)
        #expect(try await server.token(Self.parameters(byIssuer, audience: "https://billing.example.org")).status == 200)
        let target = try await server.token(Self.parameters(Self.assertion(key: key, audience: endpoint), audience: "https://other.example.org"))
        #expect(target.error == "invalid_target")

        // Bad assertions are invalid_client.
        let stranger = try JWTSigningKey.generate(.es256, kid: "client-key-1")
        let cases: [(String, String)] = [
            (Self.assertion(key: key, audience: "https://elsewhere.example.org"), "aud"),
            (Self.assertion(key: key, audience: endpoint, lifetime: 7200), "at most one hour"),
            (Self.assertion(key: key, audience: endpoint, jti: nil), "jti"),
            (Self.assertion(key: key, audience: endpoint, sub: "someone-else"), "sub"),
            (Self.assertion(key: stranger, audience: endpoint), "not valid"),
            (Self.assertion(key: key, clientID: "no-such-client", audience: endpoint), "authentication failed"),
            (Self.assertion(key: key, audience: endpoint, lifetime: -120), "expired"),
        ]
        for (bad, why) in cases {
            let refused = try await server.token(Self.parameters(bad))
            #expect(refused.error == "invalid_client", "\(why): \(refused.json)")
            #expect(refused.errorDescription.contains(why), "\(refused.errorDescription)")
        }
        #expect(try await server.token([("grant_type", "client_credentials")]).error == "invalid_client")
        let wrongType = try await server.token([
            ("grant_type", "client_credentials"), ("client_assertion_type", "urn:x"), ("client_assertion", assertion),
        ])
        #expect(wrongType.error == "invalid_request")
    }

    @Test func tlsClientAuthIssuesCertificateBoundTokens() async throws {
        let server = try await TestServer.start()
        defer { Task { try await server.stop() } }
        let created = try await server.request(
            server.admin, .POST, "/v1/oauth-clients",
            json: [
                "client_id": "reports", "method": "tls_client_auth",
                "tls_client_auth_san_uri": "spiffe://example.org/prod/reports",
                "spiffe_id": "spiffe://example.org/prod/reports", "audiences": ["reports-api", "archive-api"],
                "max_ttl": 60, "owner": "bi", "purpose": "report export",
            ])
        #expect(created.status == 201, "\(created.json)")
        // The client's X.509-SVID, issued by this server.
        let entry = try await server.request(
            server.admin, .POST, "/v1/entries",
            json: ["spiffe_id": "spiffe://example.org/prod/reports", "owner": "bi", "purpose": "reports", "selectors": ["unix:uid:1"]])
        #expect(entry.status == 201)
        let svid = try await server.request(
            server.admin, .POST, "/v1/svids/x509", json: ["spiffe_id": "spiffe://example.org/prod/reports"])
        let chainPEM = try #require(svid.json["certificate_chain"] as? String)
        let keyPEM = try #require(svid.json["private_key"] as? String)
        let dir = server.dataDirectory + "/reports-client"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try chainPEM.write(toFile: dir + "/svid.pem", atomically: true, encoding: .utf8)
        try keyPEM.write(toFile: dir + "/svid.key", atomically: true, encoding: .utf8)
        let mtls = try TestServer.client(dir: server.dataDirectory, cert: dir + "/svid.pem", key: dir + "/svid.key")
        defer { Task { try await mtls.shutdown() } }

        let form = [("grant_type", "client_credentials"), ("client_id", "reports"), ("audience", "archive-api")]
        let reply = try await server.token(form, client: mtls)
        #expect(reply.status == 200, "\(reply.json)")
        let verified = try await server.verifyIssued(try #require(reply.accessToken))
        #expect(verified.claims["sub"] == .string("spiffe://example.org/prod/reports"))
        #expect(verified.claims["aud"] == .string("archive-api"))
        let leafDER = try TestServer.leafDER(ofChain: chainPEM)
        let thumbprint = Base64URL.encode(Array(SHA256.hash(data: leafDER)))
        #expect(verified.claims["cnf"] == .object(["x5t#S256": .string(thumbprint)]))
        #expect(reply.json["expires_in"] as? Int == 60)

        // Two registered audiences: one must be named.
        let unnamed = try await server.token([("grant_type", "client_credentials"), ("client_id", "reports")], client: mtls)
        #expect(unnamed.error == "invalid_target")
        // Without the certificate, or with the admin's certificate, authentication fails.
        let anonymous = try await server.token(form)
        #expect(anonymous.error == "invalid_client")
        let wrongCert = try await server.token(form, client: server.admin)
        #expect(wrongCert.error == "invalid_client")
    }
}
