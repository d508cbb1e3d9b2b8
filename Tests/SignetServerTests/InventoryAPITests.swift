import AsyncHTTPClient
import Foundation
import Testing
@testable import SignetCore
@testable import SignetServer

/// `/v1/inventory`, `/v1/teams`, `/v1/ownership-rules`, `/v1/findings` through the real HTTPS server.
@Suite(.serialized)
struct InventoryAPITests {
    static let hexA = String(repeating: "a", count: 64)
    static let hexB = String(repeating: "b", count: 64)
    static let hexC = String(repeating: "c", count: 64)

    static func iso(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }

    /// An expired, self-signed certificate served over TLS in production.
    static var expiredCertificate: [String: Any] {
        let past = Date().addingTimeInterval(-10 * 86400)
        return [
            "kind": "x509-certificate", "fingerprint": "sha256:" + hexA, "environment": "prod",
            "locations": [["type": "tls", "target": "10.0.0.5:443", "first_seen": iso(Date())]],
            "expires": iso(past), "algorithm": "RSA", "key_size": 1024,
            "certificate": [
                "subject": "CN=legacy", "issuer": "CN=legacy", "serial": "01", "sans": ["legacy.example.org"],
                "not_before": iso(past.addingTimeInterval(-300 * 86400)), "not_after": iso(past),
                "signature_algorithm": "sha1WithRSAEncryption", "self_signed": true, "is_ca": false,
            ],
        ]
    }

    /// A GitHub token hard-coded in a Kubernetes-deployed app's config, seen at two places.
    static func token(at target: String, namespace: String = "payments-api") -> [String: Any] {
        [
            "kind": "api-token", "fingerprint": "hmac-sha256:" + hexB, "preview": "ghp_…abcd", "detector": "github-pat",
            "locations": [["type": "file", "target": target, "line": 7, "first_seen": iso(Date())]],
            "attributes": ["namespace": namespace],
        ]
    }

    func post(_ server: TestServer, _ items: [[String: Any]], source: String = "test") async throws -> TestServer.Reply {
        try await server.request(server.admin, .POST, "/v1/inventory", json: ["source": source, "items": items])
    }

    @Test func uploadsMergeOwnersFollowRulesAndFindingsFollowTheInventory() async throws {
        let server = try await TestServer.start()
        defer { Task { try await server.stop() } }
        #expect(try await server.request(server.admin, .POST, "/v1/teams", json: ["name": "payments", "contact": "#pay"]).status == 201)
        let rule = try await server.request(
            server.admin, .POST, "/v1/ownership-rules",
            json: ["id": "ns-payments", "field": "namespace", "pattern": "payments-*", "team": "payments"])
        #expect(rule.status == 201, "\(rule.json)")

        let first = try await post(server, [Self.expiredCertificate, Self.token(at: "/srv/a/.env")])
        #expect(first.status == 200, "\(first.json)")
        #expect(first.json["created"] as? Int == 2)
        #expect(first.json["owners_assigned"] as? Int == 1)
        let second = try await post(server, [Self.token(at: "/srv/b/.env")])
        #expect(second.json["updated"] as? Int == 1 && second.json["created"] as? Int == 0)

        let tokenID = "api-token:hmac-sha256:" + Self.hexB
        let shown = try await server.request(server.admin, .GET, "/v1/inventory/" + tokenID)
        #expect(shown.status == 200)
        let item = try #require(shown.json["item"] as? [String: Any])
        #expect(item["owner"] as? String == "payments")
        #expect(item["owner_source"] as? String == "rule:ns-payments")
        #expect((item["locations"] as? [[String: Any]])?.compactMap { $0["target"] as? String }.sorted() == ["/srv/a/.env", "/srv/b/.env"])

        let owned = try await server.request(server.admin, .GET, "/v1/inventory?owner=payments")
        #expect((owned.json["items"] as? [[String: Any]])?.count == 1)
        let unowned = try await server.request(server.admin, .GET, "/v1/inventory?owner=-&status=expired")
        #expect((unowned.json["items"] as? [[String: Any]])?.compactMap { $0["kind"] as? String } == ["x509-certificate"])

        // Findings: computed on first query because the inventory changed.
        let findings = try await server.request(server.admin, .GET, "/v1/findings")
        #expect(findings.status == 200, "\(findings.json)")
        #expect(findings.json["computed_at"] is String)
        #expect((findings.json["findings"] as? [[String: Any]])?.allSatisfy { $0["first_detected"] is String } == true)
        let rules = Set((findings.json["findings"] as? [[String: Any]] ?? []).compactMap { ($0["finding"] as? [String: Any])?["rule"] as? String })
        for expected in ["expired", "weak-key", "weak-signature", "self-signed-in-production", "no-owner", "hard-coded-secret", "shared"] {
            #expect(rules.contains(expected), "missing \(expected) in \(rules)")
        }
        let critical = try await server.request(server.admin, .GET, "/v1/findings?severity=high&owner=payments")
        for entry in critical.json["findings"] as? [[String: Any]] ?? [] {
            let finding = try #require(entry["finding"] as? [String: Any])
            #expect(finding["owner"] as? String == "payments")
            #expect(["high", "critical"].contains(finding["severity"] as? String))
        }

        // Assigning the certificate to a registered team makes its no-owner finding go away.
        let certID = "x509-certificate:sha256:" + Self.hexA
        let before = try await server.request(server.admin, .GET, "/v1/findings?rule=no-owner&item=\(certID)")
        #expect((before.json["findings"] as? [Any])?.count == 1, "\(before.json)")
        #expect(try await server.request(server.admin, .PUT, "/v1/inventory/\(certID)/owner", json: ["owner": "nobody"]).status == 404)
        let assigned = try await server.request(server.admin, .PUT, "/v1/inventory/\(certID)/owner", json: ["owner": "payments"])
        #expect(assigned.status == 200 && assigned.json["owner_source"] as? String == "manual")
        let after = try await server.request(server.admin, .GET, "/v1/findings?rule=no-owner&item=\(certID)")
        #expect((after.json["findings"] as? [Any])?.isEmpty == true, "\(after.json)")
        let detail = try await server.request(server.admin, .GET, "/v1/inventory/" + certID)
        #expect((detail.json["history"] as? [[String: Any]])?.first?["action"] as? String == "owner")
        #expect(((detail.json["item"] as? [String: Any])?["risk_score"] as? Int ?? 0) > 0)

        let events = try await server.request(server.admin, .GET, "/v1/events")
        let actions = (events.json["events"] as? [[String: Any]] ?? []).compactMap { $0["action"] as? String }
        for action in ["team.create", "ownership.rule.create", "inventory.ingest", "findings.recompute", "inventory.assign"] {
            #expect(actions.contains(action), "missing event \(action)")
        }
    }

    @Test func badUploadsAreRefusedWholeAndChangeNothing() async throws {
        let server = try await TestServer.start()
        defer { Task { try await server.stop() } }
        var badFingerprint = Self.token(at: "/x")
        badFingerprint["fingerprint"] = "hmac-sha256:xyz"
        var managed = Self.token(at: "/x")
        managed["managed_by_signet"] = true
        var svid = Self.token(at: "/x")
        svid["kind"] = "signet-svid"
        var longPreview = Self.token(at: "/x")
        longPreview["preview"] = String(repeating: "s", count: 200)
        var badLocation = Self.token(at: "/x")
        badLocation["locations"] = [["type": "ftp", "target": "x", "first_seen": Self.iso(Date())]]
        var noLocation = Self.token(at: "/x")
        noLocation["locations"] = [] as [Any]
        var badKind = Self.token(at: "/x")
        badKind["kind"] = "banana"
        for bad in [badFingerprint, managed, svid, longPreview, badLocation, noLocation, badKind] {
            let reply = try await post(server, [Self.expiredCertificate, bad])
            #expect(reply.status == 400, "\(bad): \(reply.json)")
            #expect(reply.json["error"] as? String == "invalid_request")
        }
        #expect(try await post(server, [Self.token(at: "/x")], source: "Bad Source!").status == 400)
        let tooMany = Array(repeating: Self.token(at: "/x"), count: 10_001)
        #expect(try await post(server, tooMany).status == 400)
        let malformed = try await server.request(server.admin, .POST, "/v1/inventory", raw: Data("{\"source\":\"x\",\"items\":[{".utf8))
        #expect(malformed.status == 400)
        // Only the server's own issued credentials are in the inventory.
        let list = try await server.request(server.admin, .GET, "/v1/inventory?managed=false")
        #expect((list.json["items"] as? [Any])?.isEmpty == true)
        let events = try await server.request(server.admin, .GET, "/v1/events?action=inventory.ingest")
        #expect((events.json["events"] as? [Any])?.isEmpty == true)
        #expect(try await server.request(server.admin, .GET, "/v1/inventory?kind=banana").status == 400)
        #expect(try await server.request(server.admin, .GET, "/v1/inventory?expiring_within=soon").status == 400)
        #expect(try await server.request(server.admin, .GET, "/v1/findings?severity=urgent").status == 400)
        #expect(try await server.request(server.admin, .POST, "/v1/teams", json: ["name": "Not A Slug"]).status == 400)
        #expect(try await server.request(server.admin, .POST, "/v1/ownership-rules",
                                         json: ["field": "path", "pattern": "/x/*", "team": "ghosts"]).status == 422)
    }

    @Test func inventoryRoutesNeedAnAdminAndTheFingerprintKeyIsStableAndPrivate() async throws {
        let server = try await TestServer.start()
        defer { Task { try await server.stop() } }
        for path in ["/v1/inventory", "/v1/inventory/fingerprint-key", "/v1/findings", "/v1/teams"] {
            #expect(try await server.request(server.anonymous, .GET, path).status == 401, "\(path)")
        }
        let first = try await server.request(server.admin, .GET, "/v1/inventory/fingerprint-key")
        let second = try await server.request(server.admin, .GET, "/v1/inventory/fingerprint-key")
        let key = try #require(first.json["key"] as? String)
        #expect(key.count == 64 && second.json["key"] as? String == key)
        let path = server.dataDirectory + "/inventory/fingerprint.key"
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test func issuedSVIDsAppearAsManagedItemsOwnedByTheirEntry() async throws {
        let server = try await TestServer.start()
        defer { Task { try await server.stop() } }
        let entry = try await server.request(
            server.admin, .POST, "/v1/entries",
            json: ["spiffe_id": "spiffe://example.org/prod/payments/api", "owner": "payments", "purpose": "payments API",
                   "selectors": ["unix:uid:1000"]])
        #expect(entry.status == 201)
        let jwt = try await server.request(
            server.admin, .POST, "/v1/svids/jwt", json: ["spiffe_id": "spiffe://example.org/prod/payments/api", "audience": "billing"])
        #expect(jwt.status == 200)
        let managed = try await server.request(server.admin, .GET, "/v1/inventory?managed=true")
        let items = managed.json["items"] as? [[String: Any]] ?? []
        // The server's TLS certificate and the bootstrap admin credential are there too.
        #expect(items.count == 3)
        let jwtItem = try #require(items.first {
            ($0["attributes"] as? [String: String])?["spiffe_id"] == "spiffe://example.org/prod/payments/api"
        })
        #expect(jwtItem["kind"] as? String == "signet-svid")
        #expect(jwtItem["owner"] as? String == "payments")
        #expect(jwtItem["managed_by_signet"] as? Bool == true)
    }
}
