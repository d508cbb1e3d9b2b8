import AsyncHTTPClient
import Crypto
import Foundation
import NIOSSL
import Testing
import X509
@testable import SignetCore
@testable import SignetPKI
@testable import SignetServer

@Suite(.serialized)
struct AdminAPITests {
    let entryBody: [String: Any] = [
        "spiffe_id": "spiffe://example.org/prod/payments/api", "owner": "payments", "purpose": "payments API",
        "selectors": ["unix:uid:1000"], "dns_names": ["api.example.org"], "x509_ttl": "30m",
    ]

    @Test func entryLifecycleIsAuditedInOrder() async throws {
        let server = try await TestServer.start()
        defer { Task { try await server.stop() } }
        let created = try await server.request(server.admin, .POST, "/v1/entries", json: entryBody)
        #expect(created.status == 201)
        let id = try #require(created.json["id"] as? String)
        #expect(created.json["x509_ttl"] as? Int == 1800)
        #expect(created.json["created_by"] as? String == "spiffe://example.org/signet/admin/bootstrap")

        let shown = try await server.request(server.admin, .GET, "/v1/entries/\(id)")
        #expect(shown.json["owner"] as? String == "payments")
        let updated = try await server.request(server.admin, .PATCH, "/v1/entries/\(id)", json: ["owner": "platform"])
        #expect(updated.status == 200)
        #expect(updated.json["owner"] as? String == "platform")
        #expect(updated.json["revision"] as? Int == 2)

        let listed = try await server.request(server.admin, .GET, "/v1/entries?owner=platform")
        #expect((listed.json["entries"] as? [Any])?.count == 1)

        let duplicate = try await server.request(server.admin, .POST, "/v1/entries", json: entryBody)
        #expect(duplicate.status == 409)

        let deleted = try await server.request(server.admin, .DELETE, "/v1/entries/\(id)")
        #expect(deleted.status == 200)
        #expect(try await server.request(server.admin, .GET, "/v1/entries/\(id)").status == 404)
        #expect(try await server.request(server.admin, .DELETE, "/v1/entries/\(id)").status == 404)

        let events = try await server.request(server.admin, .GET, "/v1/events?action=entry.create")
        let actions = (events.json["events"] as? [[String: Any]] ?? []).map { "\($0["action"]!)/\($0["outcome"]!)" }
        #expect(actions == ["entry.create/success"])
        let all = try await server.request(server.admin, .GET, "/v1/events")
        let entryEvents = (all.json["events"] as? [[String: Any]] ?? []).compactMap { $0["action"] as? String }
            .filter { $0.hasPrefix("entry.") }
        #expect(entryEvents == ["entry.create", "entry.update", "entry.delete"])
    }

    @Test func policyViolationsAreRefusedAndChangeNothing() async throws {
        let server = try await TestServer.start { $0.namingRules = ["spiffe://{td}/{env}/{team}/{service}"] }
        defer { Task { try await server.stop() } }
        var bad = entryBody
        bad["spiffe_id"] = "spiffe://example.org/web"
        bad["x509_ttl"] = "2h"
        bad["owner"] = ""
        let reply = try await server.request(server.admin, .POST, "/v1/entries", json: bad)
        #expect(reply.status == 422)
        let message = reply.json["message"] as? String ?? ""
        #expect(message.contains("matches no naming rule"))
        #expect(message.contains("x509 TTL 2h"))
        #expect(message.contains("owner is required"))
        let list = try await server.request(server.admin, .GET, "/v1/entries")
        #expect((list.json["entries"] as? [Any])?.isEmpty == true)
        let denied = try await server.request(server.admin, .GET, "/v1/events?action=entry.create")
        #expect((denied.json["events"] as? [[String: Any]])?.first?["outcome"] as? String == "denied")
    }

    @Test func unauthenticatedAndNonAdminCallersAreRefused() async throws {
        let server = try await TestServer.start()
        defer { Task { try await server.stop() } }
        let anonymous = try await server.request(server.anonymous, .POST, "/v1/entries", json: entryBody)
        #expect(anonymous.status == 401)
        #expect(anonymous.json["error"] as? String == "unauthenticated")
        // A workload SVID of the same trust domain is authenticated but not an admin.
        #expect(try await server.request(server.admin, .POST, "/v1/entries", json: entryBody).status == 201)
        let minted = try await server.request(
            server.admin, .POST, "/v1/svids/x509", json: ["spiffe_id": "spiffe://example.org/prod/payments/api"])
        let dir = server.dataDirectory + "/workload"
        try SecureFile.makeDirectory(dir)
        try SecureFile.write(minted.json["certificate_chain"] as! String, to: dir + "/svid.pem")
        try SecureFile.write(minted.json["private_key"] as! String, to: dir + "/svid.key")
        let workload = try TestServer.client(dir: server.dataDirectory, cert: dir + "/svid.pem", key: dir + "/svid.key")
        defer { Task { try await workload.shutdown() } }
        let forbidden = try await server.request(workload, .GET, "/v1/entries")
        #expect(forbidden.status == 403)
        let forbiddenWrite = try await server.request(workload, .DELETE, "/v1/entries/x")
        #expect(forbiddenWrite.status == 403)
        // Public endpoints need no certificate.
        #expect(try await server.request(server.anonymous, .GET, "/bundle").status == 200)
        #expect(try await server.request(server.anonymous, .GET, "/healthz").status == 200)
        #expect(try await server.request(server.anonymous, .GET, "/readyz").status == 200)
        let entries = try await server.request(server.admin, .GET, "/v1/entries")
        #expect((entries.json["entries"] as? [Any])?.count == 1)
        let denials = try await server.request(server.admin, .GET, "/v1/events?action=api.denied")
        #expect((denials.json["events"] as? [Any])?.count == 3)
    }

    @Test func issuanceIsRecordedBeforeItIsReturned() async throws {
        let server = try await TestServer.start()
        defer { Task { try await server.stop() } }
        #expect(try await server.request(server.admin, .POST, "/v1/entries", json: entryBody).status == 201)
        let key = P256.Signing.PrivateKey()
        let csr = try CertificateSigningRequest(
            version: .v1, subject: DistinguishedName(), privateKey: .init(key), attributes: .init())
        let reply = try await server.request(
            server.admin, .POST, "/v1/svids/x509",
            json: ["spiffe_id": "spiffe://example.org/prod/payments/api", "csr": try csr.serializeAsPEM().pemString])
        #expect(reply.status == 200)
        #expect(reply.json["private_key"] == nil)
        let chain = try PEM.certificates(from: reply.json["certificate_chain"] as! String)
        #expect(chain[0].publicKey == Certificate.PublicKey(key.publicKey))
        // The entry's 30 m TTL applies, not the 1 h maximum.
        #expect(abs(chain[0].notValidAfter.timeIntervalSinceNow - 1800) < 10)
        let serial = reply.json["serial"] as! String
        let records = try await server.request(server.admin, .GET, "/v1/credentials?serial=\(serial)")
        let record = try #require((records.json["credentials"] as? [[String: Any]])?.first)
        #expect(record["public_key_fingerprint"] as? String == Fingerprint.publicKey(.init(key.publicKey)))
        #expect(record["issued_to"] as? String == "spiffe://example.org/signet/admin/bootstrap")

        let jwt = try await server.request(
            server.admin, .POST, "/v1/svids/jwt",
            json: ["spiffe_id": "spiffe://example.org/prod/payments/api", "audience": "billing"])
        #expect(jwt.status == 200)
        let token = try #require(jwt.json["token"] as? String)
        let validated = try await server.request(
            server.admin, .POST, "/v1/jwt/validate", json: ["token": token, "audience": "billing"])
        #expect(validated.json["spiffe_id"] as? String == "spiffe://example.org/prod/payments/api")
        let wrongAudience = try await server.request(
            server.admin, .POST, "/v1/jwt/validate", json: ["token": token, "audience": "other"])
        #expect(wrongAudience.status == 400)
        let events = try await server.request(server.admin, .GET, "/v1/events?action=svid.jwt.issue")
        #expect((events.json["events"] as? [Any])?.count == 1)
    }

    @Test func badInputIsRefusedAndChangesNothing() async throws {
        let server = try await TestServer.start()
        defer { Task { try await server.stop() } }
        func credentialCount() async throws -> Int {
            let r = try await server.request(server.admin, .GET, "/v1/credentials")
            return (r.json["credentials"] as? [Any])?.count ?? -1
        }
        #expect(try await server.request(server.admin, .POST, "/v1/entries", json: entryBody).status == 201)
        let before = try await credentialCount()
        let cases: [(Any?, Data?, UInt, String)] = [
            (nil, Data("{not json".utf8), 400, "invalid_request"),
            (["spiffe_id": "spiffe://example.org/prod/payments/api", "csr": "garbage"], nil, 400, "bad_csr"),
            (["spiffe_id": "spiffe://example.org/x/../y"], nil, 400, "invalid_request"),
            (["spiffe_id": "spiffe://example.org/unregistered"], nil, 403, "no_entry"),
            (["spiffe_id": "spiffe://example.org/prod/payments/api", "key_type": "dsa"], nil, 400, "invalid_request"),
            (nil, Data(("{\"spiffe_id\":\"" + String(repeating: "a", count: 70_000) + "\"}").utf8), 413, "body_too_large"),
        ]
        for (json, raw, status, code) in cases {
            let reply = try await server.request(server.admin, .POST, "/v1/svids/x509", json: json, raw: raw)
            #expect(reply.status == status, "\(String(describing: json))")
            #expect(reply.json["error"] as? String == code, "\(reply.json)")
            #expect((reply.json["message"] as? String)?.isEmpty == false)
        }
        #expect(try await credentialCount() == before)
    }

    @Test func restartKeepsTrustMaterialAndSequence() async throws {
        let first = try await TestServer.start()
        let dir = first.dataDirectory
        let bundle1 = try await first.request(first.anonymous, .GET, "/bundle").json
        try await first.stop()
        let second = try await TestServer.start(dataDirectory: dir)
        let bundle2 = try await second.request(second.anonymous, .GET, "/bundle").json
        #expect(bundle2["spiffe_sequence"] as? Int == bundle1["spiffe_sequence"] as? Int)
        #expect((bundle2["keys"] as? [[String: Any]])?.count == (bundle1["keys"] as? [[String: Any]])?.count)
        try await second.stop()
        // A new JWT algorithm adds a key: the sequence grows and the old key stays published.
        let third = try await TestServer.start(configure: { $0.jwtAlgorithm = "RS256" }, dataDirectory: dir)
        let bundle3 = try await third.request(third.anonymous, .GET, "/bundle").json
        #expect(bundle3["spiffe_sequence"] as? Int == (bundle1["spiffe_sequence"] as? Int ?? 0) + 1)
        #expect((bundle3["keys"] as? [[String: Any]])?.count == 3)
        try await third.stop()
        // Another trust domain on the same directory is refused.
        await #expect(throws: (any Error).self) {
            _ = try await TestServer.start(configure: { $0.trustDomain = try! TrustDomain("other.org") }, dataDirectory: dir)
        }
    }
}
