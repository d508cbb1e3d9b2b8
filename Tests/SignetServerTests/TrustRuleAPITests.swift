import AsyncHTTPClient
import Foundation
import Testing
@testable import SignetCore
@testable import SignetPKI
@testable import SignetServer

/// `/v1/trust-rules`: presets, validation, linting with accepted risks, updates, deletes and events.
@Suite(.serialized)
struct TrustRuleAPITests {
    static var github: [String: Any] {
        [
            "name": "github-acme", "preset": "github", "audiences": ["signet-github-acme"],
            "condition": #"claims.repository_owner == "acme" && claims.ref == "refs/heads/main""#, "max_ttl": "10m",
            "owner": "platform", "purpose": "CI deploys",
        ]
    }

    static func body(_ base: [String: Any] = github, _ change: (inout [String: Any]) -> Void = { _ in }) -> [String: Any] {
        var body = base
        change(&body)
        return body
    }

    func rules(_ server: TestServer) async throws -> [[String: Any]] {
        let reply = try await server.request(server.admin, .GET, "/v1/trust-rules")
        #expect(reply.status == 200)
        return reply.json["rules"] as? [[String: Any]] ?? []
    }

    func events(_ server: TestServer) async throws -> [[String: Any]] {
        let all = try await server.request(server.admin, .GET, "/v1/events")
        return (all.json["events"] as? [[String: Any]] ?? []).filter { ($0["action"] as? String)?.hasPrefix("trust.rule.") == true }
    }

    func findingCodes(_ reply: TestServer.Reply, key: String = "findings") -> [String] {
        (reply.json[key] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
    }

    @Test func eachPresetFillsIssuerAndTemplate() async throws {
        let server = try await TestServer.start()
        defer { Task { try await server.stop() } }
        let cases: [([String: Any], String, String)] = [
            (Self.github, "https://token.actions.githubusercontent.com",
             "spiffe://example.org/ci/github/{repository_owner}/{repository#2}"),
            ([
                "name": "gitlab-acme", "preset": "gitlab", "audiences": ["signet-gitlab"],
                "condition": #"claims.namespace_path == "acme""#, "owner": "platform", "purpose": "GitLab CI",
            ], "https://gitlab.com", "spiffe://example.org/ci/gitlab/{namespace_path}/{project_path#2}"),
            ([
                "name": "k8s-payments", "preset": "kubernetes", "issuer": "https://kubernetes.default.svc.cluster.local",
                "audiences": ["signet-k8s"], "condition": #"claims["kubernetes.io"].namespace == "payments""#,
                "owner": "payments", "purpose": "pods",
            ], "https://kubernetes.default.svc.cluster.local",
             "spiffe://example.org/k8s/ns/{kubernetes.io.namespace}/sa/{kubernetes.io.serviceaccount.name}"),
            ([
                "name": "idp-services", "preset": "oidc", "issuer": "https://idp.example.com/realms/x",
                "audiences": ["signet-idp"], "subject_template": "spiffe://example.org/svc/{sub}",
                "condition": #"claims.sub in ["billing", "reports"]"#, "owner": "iam", "purpose": "service logins",
            ], "https://idp.example.com/realms/x", "spiffe://example.org/svc/{sub}"),
        ]
        for (body, issuer, template) in cases {
            let reply = try await server.request(server.admin, .POST, "/v1/trust-rules", json: body)
            #expect(reply.status == 201, "\(reply.json)")
            #expect(reply.json["issuer"] as? String == issuer)
            #expect(reply.json["subject_template"] as? String == template)
            #expect(reply.json["preset"] as? String == body["preset"] as? String)
            #expect((reply.json["lint"] as? [Any])?.isEmpty == true, "\(reply.json)")
            #expect(reply.json["accepted_risk"] == nil)
            #expect(reply.json["revision"] as? Int == 1)
            #expect((reply.json["key_source"] as? [String: Any])?["type"] as? String == "discovery")
            #expect(reply.json["created_by"] as? String == "spiffe://example.org/signet/admin/bootstrap")
        }
        let stored = try await rules(server)
        #expect(stored.compactMap { $0["name"] as? String } == ["github-acme", "gitlab-acme", "idp-services", "k8s-payments"])
        #expect(stored.first?["max_ttl"] as? Int == 600)
        // No max_ttl: the server's default JWT-SVID TTL.
        #expect(stored.last?["max_ttl"] as? Int == 300)
        // Shown by name and by id.
        let byName = try await server.request(server.admin, .GET, "/v1/trust-rules/gitlab-acme")
        #expect(byName.status == 200)
        let id = try #require(byName.json["id"] as? String)
        let byID = try await server.request(server.admin, .GET, "/v1/trust-rules/\(id)")
        #expect(byID.json["name"] as? String == "gitlab-acme")
        #expect(try await server.request(server.admin, .GET, "/v1/trust-rules/nope").status == 404)
    }

    @Test func invalidRulesAreRefusedWithoutStoringOrRecording() async throws {
        let server = try await TestServer.start()
        defer { Task { try await server.stop() } }
        let privateJWKS = #"{"keys":[{"kty":"EC","kid":"k","crv":"P-256","x":"AA","y":"AA","d":"AA"}]}"#
        let cases: [([String: Any], String)] = [
            (Self.body { $0["name"] = "Bad_Name" }, "name 'Bad_Name'"),
            (Self.body { $0.removeValue(forKey: "name") }, "name is required"),
            (Self.body { $0["name"] = "test" }, "reserved"),
            (Self.body { $0["issuer"] = "http://token.actions.githubusercontent.com" }, "https://"),
            (Self.body { $0["audiences"] = [String]() }, "audience"),
            (Self.body { $0["owner"] = "" }, "owner is required"),
            (Self.body { $0["purpose"] = " " }, "purpose is required"),
            (Self.body { $0["max_ttl"] = 0 }, "max TTL must be positive"),
            (Self.body { $0["max_ttl"] = "ten minutes" }, "not a duration"),
            (Self.body { $0["subject_template"] = "spiffe://other.org/ci/{repository_owner}" }, "subject template"),
            (Self.body { $0["subject_template"] = "spiffe://example.org/signet/{repository_owner}" }, "subject template"),
            (Self.body { $0["condition"] = "claims.repository_owner == " }, "condition"),
            (Self.body { $0["allowed_actors"] = ["not a spiffe id"] }, "not a spiffe id"),
            (Self.body { $0["preset"] = "jenkins" }, "unknown preset 'jenkins'"),
            (Self.body { $0["preset"] = "kubernetes" }, "issuer is required for preset kubernetes"),
            (Self.body { $0["preset"] = "oidc"; $0["issuer"] = "https://idp.example.com" }, "subject_template is required"),
            (Self.body { $0["jwks"] = "{not json" }, "JWKS"),
            (Self.body { $0["jwks"] = privateJWKS }, "private key member 'd'"),
            (Self.body { $0["accept_risk"] = "  " }, "accept_risk needs a reason"),
        ]
        for (body, expected) in cases {
            let reply = try await server.request(server.admin, .POST, "/v1/trust-rules", json: body)
            #expect(reply.status == 400, "\(body) -> \(reply.json)")
            #expect(reply.json["error"] as? String == "invalid_request")
            #expect((reply.json["message"] as? String ?? "").contains(expected), "\(reply.json)")
        }
        // Several problems are reported together.
        let many = try await server.request(server.admin, .POST, "/v1/trust-rules", json: Self.body {
            $0["name"] = "-x"
            $0["owner"] = ""
        })
        let message = many.json["message"] as? String ?? ""
        #expect(message.contains("name '-x'") && message.contains("owner is required"), "\(message)")
        #expect(try await rules(server).isEmpty)
        #expect(try await events(server).isEmpty)
    }

    @Test func lintFindingsRefuseUnlessTheRiskIsAccepted() async throws {
        let server = try await TestServer.start()
        defer { Task { try await server.stop() } }
        // Any repository of any organisation: the tenant is not pinned and the mapping is unbounded.
        let open = Self.body { $0.removeValue(forKey: "condition") }
        let refused = try await server.request(server.admin, .POST, "/v1/trust-rules", json: open)
        #expect(refused.status == 422)
        #expect(refused.json["error"] as? String == "lint_failed")
        #expect(findingCodes(refused) == ["tenant-not-pinned", "unbounded-mapping"], "\(refused.json)")
        #expect((refused.json["message"] as? String ?? "").contains("accept_risk"))
        for finding in refused.json["findings"] as? [[String: Any]] ?? [] {
            #expect((finding["message"] as? String ?? "").isEmpty == false)
        }
        #expect(try await rules(server).isEmpty)
        let denied = try await events(server)
        #expect(denied.map { "\($0["action"]!)/\($0["outcome"]!)" } == ["trust.rule.create/denied"])
        #expect((denied.first?["reason"] as? String ?? "").contains("tenant-not-pinned"))

        var accepted = open
        accepted["accept_risk"] = "sandbox issuer, only test repositories exist"
        let stored = try await server.request(server.admin, .POST, "/v1/trust-rules", json: accepted)
        #expect(stored.status == 201, "\(stored.json)")
        #expect(findingCodes(stored, key: "lint") == ["tenant-not-pinned", "unbounded-mapping"])
        let risk = try #require(stored.json["accepted_risk"] as? [String: Any])
        #expect(risk["reason"] as? String == "sandbox issuer, only test repositories exist")
        #expect(risk["findings"] as? [String] == ["tenant-not-pinned", "unbounded-mapping"])
        #expect(risk["accepted_by"] as? String == "spiffe://example.org/signet/admin/bootstrap")
        #expect(risk["accepted_at"] is String)

        let shown = try await server.request(server.admin, .GET, "/v1/trust-rules/github-acme")
        #expect((shown.json["accepted_risk"] as? [String: Any])?["reason"] as? String == "sandbox issuer, only test repositories exist")
        let created = try await events(server).last
        #expect(created?["action"] as? String == "trust.rule.create")
        #expect(created?["outcome"] as? String == "success")
        let details = created?["details"] as? [String: String] ?? [:]
        #expect(details["accepted_findings"] == "tenant-not-pinned,unbounded-mapping")
        #expect(details["issuer"] == "https://token.actions.githubusercontent.com")
        #expect(details["template"] == "spiffe://example.org/ci/github/{repository_owner}/{repository#2}")
    }

    @Test func audienceReuseAndTTLAbovePolicyAreFindings() async throws {
        let server = try await TestServer.start()
        defer { Task { try await server.stop() } }
        #expect(try await server.request(server.admin, .POST, "/v1/trust-rules", json: Self.github).status == 201)
        let second = Self.body {
            $0["name"] = "github-acme-release"
            $0["condition"] = #"claims.repository_owner == "acme" && claims.ref_type == "tag""#
        }
        let reused = try await server.request(server.admin, .POST, "/v1/trust-rules", json: second)
        #expect(reused.status == 422)
        #expect(findingCodes(reused) == ["audience-reused"])
        #expect(((reused.json["findings"] as? [[String: Any]])?.first?["message"] as? String ?? "").contains("github-acme"))

        let long = Self.body {
            $0["name"] = "github-acme-long"
            $0["audiences"] = ["signet-long"]
            $0["max_ttl"] = "2h"
        }
        let tooLong = try await server.request(server.admin, .POST, "/v1/trust-rules", json: long)
        #expect(tooLong.status == 422)
        #expect(findingCodes(tooLong) == ["ttl-above-policy"])
        #expect(try await rules(server).count == 1)

        var acceptedReuse = second
        acceptedReuse["accept_risk"] = "release and main share the deploy audience on purpose"
        let stored = try await server.request(server.admin, .POST, "/v1/trust-rules", json: acceptedReuse)
        #expect(stored.status == 201)
        #expect((stored.json["accepted_risk"] as? [String: Any])?["findings"] as? [String] == ["audience-reused"])
        // A duplicate name is a conflict, not a lint finding.
        let duplicate = try await server.request(server.admin, .POST, "/v1/trust-rules", json: Self.github)
        #expect(duplicate.status == 409)
        #expect(try await rules(server).count == 2)
    }

    @Test func updateRelintsAndBumpsTheRevision() async throws {
        let server = try await TestServer.start()
        defer { Task { try await server.stop() } }
        let created = try await server.request(server.admin, .POST, "/v1/trust-rules", json: Self.github)
        let id = try #require(created.json["id"] as? String)

        let changed = Self.body { $0["purpose"] = "CI deploys of main" }
        let updated = try await server.request(server.admin, .PUT, "/v1/trust-rules/github-acme", json: changed)
        #expect(updated.status == 200, "\(updated.json)")
        #expect(updated.json["revision"] as? Int == 2)
        #expect(updated.json["id"] as? String == id)
        #expect(updated.json["purpose"] as? String == "CI deploys of main")
        #expect(updated.json["created_at"] as? String == created.json["created_at"] as? String)

        // Dropping the condition re-lints: refused, the stored rule is untouched.
        let widened = Self.body { $0.removeValue(forKey: "condition") }
        let refused = try await server.request(server.admin, .PUT, "/v1/trust-rules/\(id)", json: widened)
        #expect(refused.status == 422)
        #expect(findingCodes(refused).contains("tenant-not-pinned"))
        let current = try await server.request(server.admin, .GET, "/v1/trust-rules/github-acme")
        #expect(current.json["revision"] as? Int == 2)
        #expect(current.json["condition"] as? String == Self.github["condition"] as? String)

        // Accepted, then a later update with the same findings keeps the acceptance.
        var accepted = widened
        accepted["accept_risk"] = "temporary: migrating organisations"
        let third = try await server.request(server.admin, .PUT, "/v1/trust-rules/\(id)", json: accepted)
        #expect(third.status == 200)
        #expect(third.json["revision"] as? Int == 3)
        let fourth = try await server.request(
            server.admin, .PUT, "/v1/trust-rules/github-acme", json: Self.body(widened) { $0["owner"] = "release" })
        #expect(fourth.status == 200, "\(fourth.json)")
        #expect((fourth.json["accepted_risk"] as? [String: Any])?["reason"] as? String == "temporary: migrating organisations")
        // A new kind of finding needs a new acceptance.
        let longer = try await server.request(
            server.admin, .PUT, "/v1/trust-rules/github-acme", json: Self.body(widened) { $0["max_ttl"] = "1d" })
        #expect(longer.status == 422)
        #expect(findingCodes(longer) == ["tenant-not-pinned", "unbounded-mapping", "ttl-above-policy"])
        // Pinning the tenant again clears the accepted risk.
        let fixed = try await server.request(server.admin, .PUT, "/v1/trust-rules/github-acme", json: Self.github)
        #expect(fixed.status == 200)
        #expect(fixed.json["accepted_risk"] == nil)
        #expect(fixed.json["revision"] as? Int == 5)

        // Renaming onto another rule's name is a conflict; unknown rules are 404; invalid bodies 400.
        #expect(try await server.request(server.admin, .POST, "/v1/trust-rules", json: Self.body {
            $0["name"] = "other"
            $0["audiences"] = ["signet-other"]
        }).status == 201)
        #expect(try await server.request(server.admin, .PUT, "/v1/trust-rules/github-acme", json: Self.body {
            $0["name"] = "other"
        }).status == 409)
        #expect(try await server.request(server.admin, .PUT, "/v1/trust-rules/missing", json: Self.github).status == 404)
        #expect(try await server.request(server.admin, .PUT, "/v1/trust-rules/github-acme", json: Self.body {
            $0["condition"] = "(("
        }).status == 400)
        #expect(try await server.request(server.admin, .GET, "/v1/trust-rules/github-acme").json["revision"] as? Int == 5)

        let updates = try await events(server).filter { $0["action"] as? String == "trust.rule.update" }
        #expect(updates.map { "\($0["outcome"]!)" } == ["success", "denied", "success", "success", "denied", "success"])
        #expect((updates.last?["details"] as? [String: String])?["revision"] == "5")
    }

    @Test func deleteRemovesTheRuleAndRecordsIt() async throws {
        let server = try await TestServer.start()
        defer { Task { try await server.stop() } }
        #expect(try await server.request(server.admin, .POST, "/v1/trust-rules", json: Self.github).status == 201)
        let deleted = try await server.request(server.admin, .DELETE, "/v1/trust-rules/github-acme")
        #expect(deleted.status == 200)
        #expect(deleted.json["name"] as? String == "github-acme")
        #expect(try await server.request(server.admin, .GET, "/v1/trust-rules/github-acme").status == 404)
        #expect(try await server.request(server.admin, .DELETE, "/v1/trust-rules/github-acme").status == 404)
        #expect(try await rules(server).isEmpty)
        // The audience is free again.
        #expect(try await server.request(server.admin, .POST, "/v1/trust-rules", json: Self.body { $0["name"] = "github-acme-2" }).status == 201)
        let recorded = try await events(server).map { "\($0["action"]!)/\($0["subject"]!)/\($0["outcome"]!)" }
        #expect(recorded == [
            "trust.rule.create/github-acme/success", "trust.rule.delete/github-acme/success",
            "trust.rule.create/github-acme-2/success",
        ])
    }

    @Test func pinnedJWKSIsStoredAfterParsing() async throws {
        let server = try await TestServer.start()
        defer { Task { try await server.stop() } }
        let jwks = try OAuthClientAPITests.jwks(kid: "issuer-key-1")
        let body = Self.body {
            $0["name"] = "private-ci"
            $0["preset"] = "oidc"
            $0["issuer"] = "https://ci.internal.example.org"
            $0["jwks"] = jwks
            $0["subject_template"] = "spiffe://example.org/ci/internal/{project}"
            $0["condition"] = #"claims.project in ["app", "api"]"#
        }
        let reply = try await server.request(server.admin, .POST, "/v1/trust-rules", json: body)
        #expect(reply.status == 201, "\(reply.json)")
        let source = try #require(reply.json["key_source"] as? [String: Any])
        #expect(source["type"] as? String == "jwks")
        #expect(source["jwks"] as? String == jwks)
        let event = try await events(server).last
        #expect((event?["details"] as? [String: String])?["kids"] == "issuer-key-1")
    }

    @Test func testExplainsEveryRuleAndSeesChangesAtOnce() async throws {
        let server = try await TestServer.start()
        defer { Task { try await server.stop() } }
        let key = try JWTSigningKey.generate(.es256, kid: "ci-1")
        let jwks = String(
            decoding: try JSONEncoder().encode(["keys": [key.publicKey.jwk(use: "sig", includeAlg: true)]]), as: UTF8.self)
        let issuer = "https://ci.internal.example.org"
        func rule(_ name: String, audience: String, condition: String) -> [String: Any] {
            [
                "name": name, "preset": "oidc", "issuer": issuer, "jwks": jwks, "audiences": [audience],
                "subject_template": "spiffe://example.org/ci/internal/{project}", "condition": condition,
                "owner": "platform", "purpose": "internal CI",
            ]
        }
        #expect(try await server.request(server.admin, .POST, "/v1/trust-rules", json: rule(
            "internal-apps", audience: "signet-ci", condition: #"claims.project in ["app", "api"]"#)).status == 201)
        #expect(try await server.request(server.admin, .POST, "/v1/trust-rules", json: rule(
            "internal-tools", audience: "signet-tools", condition: #"claims.project == "tools""#)).status == 201)
        let now = Date()
        let token = JWTSigner.sign(
            claims: JWTClaims(
                sub: "pipeline-7", aud: ["signet-ci"], exp: now.addingTimeInterval(300), iat: now, iss: issuer,
                extra: ["project": .string("app")]),
            key: key)

        func explain(_ token: String) async throws -> TestServer.Reply {
            try await server.request(server.admin, .POST, "/v1/trust-rules/test", json: ["token": token])
        }
        let report = try await explain(token)
        #expect(report.status == 200, "\(report.json)")
        #expect(report.json["issuer"] as? String == issuer)
        #expect(report.json["signature"] as? String == "valid")
        let results = report.json["results"] as? [[String: Any]] ?? []
        #expect(results.compactMap { $0["rule"] as? String } == ["internal-apps", "internal-tools"])
        #expect(results.first?["matched"] as? Bool == true)
        #expect(results.first?["spiffe_id"] as? String == "spiffe://example.org/ci/internal/app")
        #expect(results.last?["matched"] as? Bool == false)
        #expect((results.last?["reasons"] as? [String])?.isEmpty == false)
        // Testing consumes nothing: the same token explains the same way again.
        #expect((try await explain(token).json["results"] as? [[String: Any]])?.first?["matched"] as? Bool == true)

        // A change is seen by the next test at once (the exchange reloads its rules).
        let narrowed = try await server.request(server.admin, .PUT, "/v1/trust-rules/internal-apps", json: rule(
            "internal-apps", audience: "signet-ci", condition: #"claims.project == "api""#))
        #expect(narrowed.status == 200)
        let after = try await explain(token).json["results"] as? [[String: Any]] ?? []
        #expect(after.allSatisfy { $0["matched"] as? Bool == false })
        #expect(try await server.request(server.admin, .DELETE, "/v1/trust-rules/internal-apps").status == 200)
        let remaining = try await explain(token).json["results"] as? [[String: Any]] ?? []
        #expect(remaining.compactMap { $0["rule"] as? String } == ["internal-tools"])

        let foreign = try await explain(JWTSigner.sign(
            claims: JWTClaims(sub: "x", aud: ["signet-ci"], exp: now.addingTimeInterval(300), iat: now, iss: "https://elsewhere.example"),
            key: key))
        #expect((foreign.json["results"] as? [Any])?.isEmpty == true)
        #expect((foreign.json["note"] as? String ?? "").contains("no trust rule has issuer https://elsewhere.example"))
        let missing = try await server.request(server.admin, .POST, "/v1/trust-rules/test", json: [String: String]())
        #expect(missing.status == 400)
        // The token never reaches the event log.
        let all = try await server.request(server.admin, .GET, "/v1/events")
        #expect(!String(decoding: all.body, as: UTF8.self).contains(token))
    }

    @Test func nonAdminCallersAreRefused() async throws {
        let server = try await TestServer.start()
        defer { Task { try await server.stop() } }
        #expect(try await server.request(server.admin, .POST, "/v1/trust-rules", json: Self.github).status == 201)
        let workload = try await server.workloadClient(spiffeID: "spiffe://example.org/prod/ci-runner")
        defer { Task { try await workload.shutdown() } }
        let other = Self.body {
            $0["name"] = "sneaky"
            $0["audiences"] = ["sneaky"]
        }
        #expect(try await server.request(workload, .POST, "/v1/trust-rules", json: other).status == 403)
        #expect(try await server.request(workload, .GET, "/v1/trust-rules").status == 403)
        #expect(try await server.request(workload, .PUT, "/v1/trust-rules/github-acme", json: other).status == 403)
        #expect(try await server.request(workload, .DELETE, "/v1/trust-rules/github-acme").status == 403)
        #expect(try await server.request(workload, .POST, "/v1/trust-rules/test", json: ["token": "x.y.z"]).status == 403)
        #expect(try await server.request(server.anonymous, .GET, "/v1/trust-rules").status == 401)
        let stored = try await rules(server)
        #expect(stored.compactMap { $0["name"] as? String } == ["github-acme"])
        #expect(stored.first?["revision"] as? Int == 1)
        #expect(try await events(server).count == 1)
    }
}
