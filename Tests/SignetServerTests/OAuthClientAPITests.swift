import AsyncHTTPClient
import Foundation
import Testing
@testable import SignetCore
@testable import SignetPKI
@testable import SignetServer

/// `/v1/oauth-clients`: registration of client_credentials clients through the admin API.
@Suite(.serialized)
struct OAuthClientAPITests {
    /// A JWKS text with one freshly generated public key (and, optionally, extra members on it).
    static func jwks(kid: String = "client-key-1", extra: [String: String] = [:]) throws -> String {
        let key = try JWTSigningKey.generate(.es256, kid: kid)
        var jwk = try JSONSerialization.jsonObject(with: JSONEncoder().encode(key.publicKey.jwk(use: "sig", includeAlg: true)))
            as! [String: Any]
        for (name, value) in extra { jwk[name] = value }
        return String(decoding: try JSONSerialization.data(withJSONObject: ["keys": [jwk]]), as: UTF8.self)
    }

    static func privateKeyJWTBody(id: String = "billing-batch", jwks: String) -> [String: Any] {
        [
            "client_id": id, "method": "private_key_jwt", "jwks": jwks, "spiffe_id": "spiffe://example.org/legacy/billing",
            "audiences": ["https://billing.example.org"], "max_ttl": "5m", "owner": "billing", "purpose": "nightly batch",
        ]
    }

    static var tlsBody: [String: Any] {
        [
            "client_id": "reports", "method": "tls_client_auth", "tls_client_auth_san_uri": "spiffe://example.org/prod/reports",
            "spiffe_id": "spiffe://example.org/prod/reports", "audiences": ["reports-api", "archive-api"], "max_ttl": 120,
            "owner": "bi", "purpose": "report export",
        ]
    }

    func events(_ server: TestServer, prefix: String) async throws -> [[String: Any]] {
        let all = try await server.request(server.admin, .GET, "/v1/events")
        return (all.json["events"] as? [[String: Any]] ?? []).filter { ($0["action"] as? String)?.hasPrefix(prefix) == true }
    }

    @Test func bothMethodsAreRegisteredShownListedAndDeleted() async throws {
        let server = try await TestServer.start()
        defer { Task { try await server.stop() } }
        let keys = try Self.jwks()
        let pkj = try await server.request(server.admin, .POST, "/v1/oauth-clients", json: Self.privateKeyJWTBody(jwks: keys))
        #expect(pkj.status == 201, "\(pkj.json)")
        #expect(pkj.json["client_id"] as? String == "billing-batch")
        #expect(pkj.json["max_ttl"] as? Int == 300)
        #expect(pkj.json["created_by"] as? String == "spiffe://example.org/signet/admin/bootstrap")
        let auth = try #require(pkj.json["authentication"] as? [String: Any])
        #expect(auth["method"] as? String == "private_key_jwt")
        #expect(auth["jwks"] as? String == keys)

        let tls = try await server.request(server.admin, .POST, "/v1/oauth-clients", json: Self.tlsBody)
        #expect(tls.status == 201, "\(tls.json)")
        let tlsAuth = try #require(tls.json["authentication"] as? [String: Any])
        #expect(tlsAuth["method"] as? String == "tls_client_auth")
        #expect(tlsAuth["tls_client_auth_san_uri"] as? String == "spiffe://example.org/prod/reports")
        #expect(tls.json["audiences"] as? [String] == ["reports-api", "archive-api"])

        let list = try await server.request(server.admin, .GET, "/v1/oauth-clients")
        #expect((list.json["clients"] as? [[String: Any]])?.compactMap { $0["client_id"] as? String } == ["billing-batch", "reports"])
        let shown = try await server.request(server.admin, .GET, "/v1/oauth-clients/reports")
        #expect(shown.status == 200)
        #expect(shown.json["purpose"] as? String == "report export")

        let deleted = try await server.request(server.admin, .DELETE, "/v1/oauth-clients/reports")
        #expect(deleted.status == 200)
        #expect(deleted.json["client_id"] as? String == "reports")
        #expect(try await server.request(server.admin, .GET, "/v1/oauth-clients/reports").status == 404)
        #expect(try await server.request(server.admin, .DELETE, "/v1/oauth-clients/reports").status == 404)

        let recorded = try await events(server, prefix: "oauth.client.")
        #expect(recorded.map { "\($0["action"]!)/\($0["subject"]!)" }
            == ["oauth.client.create/billing-batch", "oauth.client.create/reports", "oauth.client.delete/reports"])
        let details = recorded[0]["details"] as? [String: String] ?? [:]
        #expect(details["method"] == "private_key_jwt")
        #expect(details["kids"] == "client-key-1")
        // The key set is public, but events carry only its kids.
        #expect(details.values.allSatisfy { !$0.contains("\"keys\"") })
    }

    @Test func invalidKeySetsAreRefusedAndChangeNothing() async throws {
        let server = try await TestServer.start()
        defer { Task { try await server.stop() } }
        let good = try Self.jwks()
        let cases: [(String, String)] = [
            ("{not json", "not a JWKS"),
            (#"{"keys": []}"#, "no keys"),
            (#"{"kty": "EC"}"#, "keys"),
            (#"{"keys": [{"kty": "oct", "kid": "s", "k": "c2VjcmV0"}]}"#, "private key member 'k'"),
            (try Self.jwks(extra: ["d": "AAAA"]), "private key member 'd'"),
            (try Self.jwks(extra: ["x": "AAAA"]), "coordinate 'x'"),
            (#"{"keys": [{"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}]}"#, "kid"),
        ]
        for (jwks, expected) in cases {
            let reply = try await server.request(
                server.admin, .POST, "/v1/oauth-clients", json: Self.privateKeyJWTBody(jwks: jwks))
            #expect(reply.status == 400, "\(jwks)")
            #expect(reply.json["error"] as? String == "invalid_request")
            let message = reply.json["message"] as? String ?? ""
            #expect(message.hasPrefix("jwks: "), "\(message)")
            #expect(message.contains(expected), "\(message)")
        }
        // Two different keys under one kid would make lookup by kid ambiguous.
        let first = try JSONSerialization.jsonObject(with: Data(try Self.jwks(kid: "same").utf8)) as! [String: Any]
        let second = try JSONSerialization.jsonObject(with: Data(try Self.jwks(kid: "same").utf8)) as! [String: Any]
        let twoKeys = ["keys": (first["keys"] as! [Any]) + (second["keys"] as! [Any])]
        let duplicateKid = String(decoding: try JSONSerialization.data(withJSONObject: twoKeys), as: UTF8.self)
        let dup = try await server.request(
            server.admin, .POST, "/v1/oauth-clients", json: Self.privateKeyJWTBody(jwks: duplicateKid))
        #expect(dup.status == 400)
        #expect((dup.json["message"] as? String ?? "").contains("share kid 'same'"))

        let list = try await server.request(server.admin, .GET, "/v1/oauth-clients")
        #expect((list.json["clients"] as? [Any])?.isEmpty == true)
        #expect(try await events(server, prefix: "oauth.client.").isEmpty)
        // The good key set still works after all those refusals.
        #expect(try await server.request(server.admin, .POST, "/v1/oauth-clients", json: Self.privateKeyJWTBody(jwks: good)).status == 201)
    }

    @Test func badFieldsAreRefusedWithTheFieldNamed() async throws {
        let server = try await TestServer.start()
        defer { Task { try await server.stop() } }
        let keys = try Self.jwks()
        func variant(_ change: (inout [String: Any]) -> Void) -> [String: Any] {
            var body = Self.privateKeyJWTBody(jwks: keys)
            change(&body)
            return body
        }
        let cases: [([String: Any], UInt, String)] = [
            (variant { $0["client_id"] = "bad id/with slash" }, 400, "client_id"),
            (variant { $0["client_id"] = "" }, 400, "client_id"),
            (variant { $0.removeValue(forKey: "client_id") }, 400, "client_id is required"),
            (variant { $0["method"] = "client_secret_basic" }, 400, "private_key_jwt or tls_client_auth"),
            (variant { $0.removeValue(forKey: "jwks") }, 400, "needs jwks"),
            (variant { $0["tls_client_auth_san_uri"] = "spiffe://example.org/x" }, 400, "tls_client_auth_san_uri"),
            (variant { $0["spiffe_id"] = "spiffe://other.org/billing" }, 400, "not in trust domain example.org"),
            (variant { $0["spiffe_id"] = "spiffe://example.org/signet/admin/x" }, 400, "reserved"),
            (variant { $0["spiffe_id"] = "https://example.org/x" }, 400, "spiffe"),
            (variant { $0["audiences"] = [String]() }, 400, "audiences"),
            (variant { $0["audiences"] = ["a", "a"] }, 400, "listed twice"),
            (variant { $0["owner"] = " " }, 400, "owner is required"),
            (variant { $0["purpose"] = "" }, 400, "purpose is required"),
            (variant { $0["max_ttl"] = 0 }, 400, "max_ttl"),
            (variant { $0["max_ttl"] = "2h" }, 422, "exceeds the JWT policy maximum 5m"),
            (variant { $0["max_ttl"] = "soon" }, 400, "not a duration"),
        ]
        for (body, status, expected) in cases {
            let reply = try await server.request(server.admin, .POST, "/v1/oauth-clients", json: body)
            #expect(reply.status == status, "\(body) -> \(reply.json)")
            #expect((reply.json["message"] as? String ?? "").contains(expected), "\(reply.json)")
        }
        var tls = Self.tlsBody
        tls["tls_client_auth_san_uri"] = "spiffe://other.org/reports"
        let foreign = try await server.request(server.admin, .POST, "/v1/oauth-clients", json: tls)
        #expect(foreign.status == 400)
        #expect((foreign.json["message"] as? String ?? "").contains("tls_client_auth_san_uri"))
        tls["tls_client_auth_san_uri"] = nil
        tls["jwks"] = keys
        #expect(try await server.request(server.admin, .POST, "/v1/oauth-clients", json: tls).status == 400)

        let list = try await server.request(server.admin, .GET, "/v1/oauth-clients")
        #expect((list.json["clients"] as? [Any])?.isEmpty == true)
        #expect(try await events(server, prefix: "oauth.client.").isEmpty)
    }

    @Test func duplicateClientIDIsAConflict() async throws {
        let server = try await TestServer.start()
        defer { Task { try await server.stop() } }
        let first = try await server.request(server.admin, .POST, "/v1/oauth-clients", json: Self.privateKeyJWTBody(jwks: try Self.jwks()))
        #expect(first.status == 201)
        var other = Self.tlsBody
        other["client_id"] = "billing-batch"
        let second = try await server.request(server.admin, .POST, "/v1/oauth-clients", json: other)
        #expect(second.status == 409)
        #expect(second.json["error"] as? String == "conflict")
        let shown = try await server.request(server.admin, .GET, "/v1/oauth-clients/billing-batch")
        #expect((shown.json["authentication"] as? [String: Any])?["method"] as? String == "private_key_jwt")
        #expect(try await events(server, prefix: "oauth.client.").count == 1)
    }

    @Test func nonAdminCallersAreRefused() async throws {
        let server = try await TestServer.start()
        defer { Task { try await server.stop() } }
        let workload = try await server.workloadClient(spiffeID: "spiffe://example.org/prod/reports")
        defer { Task { try await workload.shutdown() } }
        let created = try await server.request(workload, .POST, "/v1/oauth-clients", json: Self.tlsBody)
        #expect(created.status == 403)
        #expect(try await server.request(workload, .GET, "/v1/oauth-clients").status == 403)
        #expect(try await server.request(server.anonymous, .GET, "/v1/oauth-clients").status == 401)
        let list = try await server.request(server.admin, .GET, "/v1/oauth-clients")
        #expect((list.json["clients"] as? [Any])?.isEmpty == true)
    }
}

extension TestServer {
    /// An HTTPS client presenting an X.509-SVID of a registered workload: authenticated, but not an admin.
    func workloadClient(spiffeID: String) async throws -> HTTPClient {
        let entry: [String: Any] = [
            "spiffe_id": spiffeID, "owner": "test", "purpose": "non-admin caller", "selectors": ["unix:uid:4242"],
        ]
        let created = try await request(admin, .POST, "/v1/entries", json: entry)
        guard created.status == 201 else { throw CLIFailure("cannot create entry: \(created.json)") }
        let minted = try await request(admin, .POST, "/v1/svids/x509", json: ["spiffe_id": spiffeID])
        let dir = dataDirectory + "/workload-\(UUID().uuidString)"
        try SecureFile.makeDirectory(dir)
        try SecureFile.write(minted.json["certificate_chain"] as! String, to: dir + "/svid.pem")
        try SecureFile.write(minted.json["private_key"] as! String, to: dir + "/svid.key")
        return try TestServer.client(dir: dataDirectory, cert: dir + "/svid.pem", key: dir + "/svid.key")
    }
}
