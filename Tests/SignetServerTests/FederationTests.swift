import AsyncHTTPClient
import Foundation
import Testing
@testable import SignetCore
@testable import SignetPKI
@testable import SignetServer

/// SPIFFE federation between two in-process servers (example.org and b.org) on loopback.
@Suite(.serialized)
struct FederationTests {
    static let peerDomain = "b.org"
    static let peerServerID = "spiffe://b.org/signet/server"

    /// A second server, of trust domain b.org, with an entry it can mint JWT-SVIDs for.
    static func startPeer(configure: @escaping (inout ServerConfiguration) -> Void = { _ in }) async throws -> TestServer {
        let peer = try await TestServer.start {
            $0.trustDomain = try! TrustDomain(peerDomain)
            configure(&$0)
        }
        let entry = try await peer.request(
            peer.admin, .POST, "/v1/entries",
            json: ["spiffe_id": "spiffe://b.org/billing", "owner": "team", "purpose": "test"] as [String: Any])
        try #require(entry.status == 201, "peer entry: \(entry.text)")
        return peer
    }

    static func bundleJSON(_ server: TestServer) async throws -> String {
        let reply = try await server.request(server.anonymous, .GET, "/bundle")
        try #require(reply.status == 200)
        return reply.text
    }

    static func mintJWT(_ server: TestServer, _ spiffeID: String, audience: String) async throws -> String {
        let reply = try await server.request(
            server.admin, .POST, "/v1/svids/jwt", json: ["spiffe_id": spiffeID, "audience": audience])
        try #require(reply.status == 200, "mint: \(reply.text)")
        return try #require(reply.json["token"] as? String)
    }

    static func validate(_ server: TestServer, token: String, audience: String) async throws -> TestServer.Reply {
        try await server.request(server.admin, .POST, "/v1/jwt/validate", json: ["token": token, "audience": audience])
    }

    static func spiffeFederation(_ peer: TestServer, trustDomain: String = peerDomain, endpointID: String = peerServerID)
        async throws -> [String: Any]
    {
        [
            "trust_domain": trustDomain, "bundle_endpoint_url": "https://127.0.0.1:\(peer.port)/bundle",
            "profile": "https_spiffe", "endpoint_spiffe_id": endpointID,
            "bootstrap_bundle": try await bundleJSON(peer),
        ]
    }

    @Test func httpsSPIFFEFederationValidatesThePeersJWTSVIDsUntilDeleted() async throws {
        let peer = try await Self.startPeer()
        defer { Task { try await peer.stop() } }
        let server = try await TestServer.start()
        defer { Task { try await server.stop() } }

        let token = try await Self.mintJWT(peer, "spiffe://b.org/billing", audience: "svc")
        // Before federating, b.org's tokens are foreign.
        #expect(try await Self.validate(server, token: token, audience: "svc").status == 400)

        let created = try await server.request(
            server.admin, .POST, "/v1/federations", json: try await Self.spiffeFederation(peer))
        #expect(created.status == 201, "\(created.text)")
        let bundle = try #require(created.json["bundle"] as? [String: Any])
        #expect(bundle["last_error"] == nil, "\(created.text)")
        #expect(bundle["sequence"] as? Int == 1)
        #expect(created.json["profile"] as? String == "https_spiffe")

        let valid = try await Self.validate(server, token: token, audience: "svc")
        #expect(valid.status == 200, "\(valid.text)")
        #expect(valid.json["spiffe_id"] as? String == "spiffe://b.org/billing")
        #expect(try await Self.validate(server, token: token, audience: "other").status == 400)

        let listed = try await server.request(server.admin, .GET, "/v1/federations")
        let federations = try #require(listed.json["federations"] as? [[String: Any]])
        #expect(federations.map { $0["trust_domain"] as? String } == ["b.org"])
        #expect(try await server.events("federation.create").count == 1)
        #expect(try await server.events("federation.bundle.update").count == 1)

        // A second fetch of an unchanged bundle records no update event.
        let refreshed = try await server.request(server.admin, .POST, "/v1/federations/b.org/refresh")
        #expect(refreshed.status == 200)
        #expect(try await server.events("federation.bundle.update").count == 1)

        // Entries may name it now, and only now.
        let entry = try await server.request(
            server.admin, .POST, "/v1/entries",
            json: ["spiffe_id": "spiffe://example.org/web", "owner": "t", "purpose": "p", "federates_with": ["b.org"]]
                as [String: Any])
        #expect(entry.status == 201, "\(entry.text)")
        #expect(entry.json["federates_with"] as? [String] == ["b.org"])

        let deleted = try await server.request(server.admin, .DELETE, "/v1/federations/b.org")
        #expect(deleted.status == 200)
        #expect(try await Self.validate(server, token: token, audience: "svc").status == 400)
        #expect(try await server.request(server.admin, .GET, "/v1/federations/b.org").status == 404)
        #expect(try await server.events("federation.delete").count == 1)
    }

    @Test func anEndpointPresentingAnotherSPIFFEIDIsRefused() async throws {
        let peer = try await Self.startPeer()
        defer { Task { try await peer.stop() } }
        let server = try await TestServer.start()
        defer { Task { try await server.stop() } }

        // The peer's server presents spiffe://b.org/signet/server; a relationship expecting another ID must refuse it.
        let created = try await server.request(
            server.admin, .POST, "/v1/federations",
            json: try await Self.spiffeFederation(peer, endpointID: "spiffe://b.org/bundle-endpoint"))
        #expect(created.status == 201)
        let bundle = try #require(created.json["bundle"] as? [String: Any])
        let error = try #require(bundle["last_error"] as? String)
        #expect(error.contains("spiffe://b.org/signet/server"), "\(error)")
        #expect(bundle["bundle"] == nil)
        let token = try await Self.mintJWT(peer, "spiffe://b.org/billing", audience: "svc")
        #expect(try await Self.validate(server, token: token, audience: "svc").status == 400)
        let errors = try await server.events("federation.bundle.error")
        #expect(errors.count == 1)

        // The same failure again is not recorded again (rate-limited), but the state says it failed.
        let again = try await server.request(server.admin, .POST, "/v1/federations/b.org/refresh")
        #expect((again.json["bundle"] as? [String: Any])?["last_error"] is String)
        #expect(try await server.events("federation.bundle.error").count == 1)
    }

    @Test func aBundleIsOnlyEverTrustedForTheDomainConfiguredForIt() async throws {
        // The peer's TLS certificate names only localhost (no IP SAN), to show the Web PKI host check below.
        let peer = try await Self.startPeer { $0.tlsIPAddresses = [] }
        defer { Task { try await peer.stop() } }
        // https_web with the peer's CA as the extra root: the endpoint serves b.org's bundle, but this
        // relationship says it is c.org's. The keys are filed under c.org and never vouch for b.org.
        let server = try await TestServer.start {
            $0.federationCABundle = peer.dataDirectory + "/admin/bundle.pem"
        }
        defer { Task { try await server.stop() } }
        let created = try await server.request(
            server.admin, .POST, "/v1/federations",
            json: [
                "trust_domain": "c.org", "bundle_endpoint_url": "https://localhost:\(peer.port)/bundle",
                "profile": "https_web",
            ])
        #expect(created.status == 201)
        #expect((created.json["bundle"] as? [String: Any])?["sequence"] as? Int == 1, "\(created.text)")

        let token = try await Self.mintJWT(peer, "spiffe://b.org/billing", audience: "svc")
        let refused = try await Self.validate(server, token: token, audience: "svc")
        #expect(refused.status == 400, "\(refused.text)")

        // The Web PKI profile checks the host name: 127.0.0.1 is not among the certificate's names.
        let unverified = try await server.request(
            server.admin, .POST, "/v1/federations",
            json: [
                "trust_domain": "d.org", "bundle_endpoint_url": "https://127.0.0.1:\(peer.port)/bundle",
                "profile": "https_web",
            ])
        let error = try #require((unverified.json["bundle"] as? [String: Any])?["last_error"] as? String, "\(unverified.text)")
        #expect(error.contains("TLS"), "\(error)")
        // https_spiffe does not check host names, only the SPIFFE ID: the same address works there.
        let spiffe = try await server.request(
            server.admin, .POST, "/v1/federations", json: try await Self.spiffeFederation(peer))
        #expect((spiffe.json["bundle"] as? [String: Any])?["last_error"] == nil, "\(spiffe.text)")
    }

    @Test func anAnswerThatIsNotABundleIsRefusedAndThePreviousBundleKept() async throws {
        let peer = try await Self.startPeer()
        defer { Task { try await peer.stop() } }
        let server = try await TestServer.start()
        defer { Task { try await server.stop() } }
        var body = try await Self.spiffeFederation(peer)
        let first = try await server.request(server.admin, .POST, "/v1/federations", json: body)
        let fetched = try #require((first.json["bundle"] as? [String: Any])?["bundle"] as? String)
        let token = try await Self.mintJWT(peer, "spiffe://b.org/billing", audience: "svc")

        for (path, expected) in [("/healthz", "not a valid SPIFFE bundle"), ("/.well-known/openid-configuration", "not a valid SPIFFE bundle"), ("/missing", "HTTP 404")] {
            body["bundle_endpoint_url"] = "https://127.0.0.1:\(peer.port)\(path)"
            let updated = try await server.request(server.admin, .POST, "/v1/federations", json: body)
            #expect(updated.status == 200, "\(updated.text)")
            let state = try #require(updated.json["bundle"] as? [String: Any])
            #expect((state["last_error"] as? String)?.contains(expected) == true, "\(path): \(state)")
            #expect(state["bundle"] as? String == fetched)
            #expect(state["sequence"] as? Int == 1)
            #expect(try await Self.validate(server, token: token, audience: "svc").status == 200)
        }
        #expect(try await server.events("federation.update").count == 3)
    }

    @Test func badRelationshipsAndFederatesWithAreRefusedWithoutChangingState() async throws {
        let server = try await TestServer.start()
        defer { Task { try await server.stop() } }
        let cases: [([String: Any], String)] = [
            (["trust_domain": "b.org", "bundle_endpoint_url": "http://b.org/bundle", "profile": "https_web"], "https://"),
            (["trust_domain": "example.org", "bundle_endpoint_url": "https://b.org/bundle", "profile": "https_web"], "own trust domain"),
            (["trust_domain": "b.org", "bundle_endpoint_url": "https://b.org/bundle", "profile": "https_spiffe",
              "endpoint_spiffe_id": "spiffe://b.org/signet/server"], "bootstrap_bundle"),
            (["trust_domain": "b.org", "bundle_endpoint_url": "https://b.org/bundle", "profile": "https_spiffe",
              "endpoint_spiffe_id": "spiffe://c.org/signet/server", "bootstrap_bundle": "{\"keys\":[]}"], "must be in the federated trust domain"),
            (["trust_domain": "b.org", "bundle_endpoint_url": "https://b.org/bundle", "profile": "https_spiffe",
              "endpoint_spiffe_id": "spiffe://b.org/signet/server", "bootstrap_bundle": "{\"keys\":"], "bootstrap bundle"),
            (["trust_domain": "b.org", "bundle_endpoint_url": "https://b.org/bundle", "profile": "ftp"], "https_web or https_spiffe"),
            (["trust_domain": "B..org", "bundle_endpoint_url": "https://b.org/bundle", "profile": "https_web"], "trust domain"),
        ]
        for (body, message) in cases {
            let reply = try await server.request(server.admin, .POST, "/v1/federations", json: body)
            #expect(reply.status == 400, "\(body)")
            #expect((reply.json["message"] as? String)?.contains(message) == true, "\(reply.text)")
        }
        #expect((try await server.request(server.admin, .GET, "/v1/federations").json["federations"] as? [Any])?.isEmpty == true)
        #expect(try await server.events("federation.create").isEmpty)

        let entry = try await server.request(
            server.admin, .POST, "/v1/entries",
            json: ["spiffe_id": "spiffe://example.org/web", "owner": "t", "purpose": "p", "federates_with": ["b.org"]]
                as [String: Any])
        #expect(entry.status == 400)
        #expect((entry.json["message"] as? String)?.contains("signet federation add") == true, "\(entry.text)")
        #expect(try await server.request(server.admin, .DELETE, "/v1/federations/b.org").status == 404)
        #expect(try await server.request(server.admin, .POST, "/v1/federations/b.org/refresh").status == 404)
    }

    @Test func agentsReceiveTheFederatedBundlesTheirEntriesNameAndChangesWakeThem() async throws {
        let peer = try await Self.startPeer()
        defer { Task { try await peer.stop() } }
        let server = try await TestServer.start()
        defer { Task { try await server.stop() } }
        #expect(try await server.request(server.admin, .POST, "/v1/federations", json: try await Self.spiffeFederation(peer)).status == 201)

        let agent = try await server.attestedAgent()
        defer { Task { await agent.shutdown() } }
        let plain = try await server.entry("/plain", parent: agent.id)
        let first = try await server.sync(agent)
        #expect(first.entryIDs == [plain])
        #expect((first.json["federated_bundles"] as? [String: Any])?.isEmpty == true)

        // An entry naming b.org brings b.org's bundle, parsed for b.org.
        let named = try await server.request(
            server.admin, .POST, "/v1/entries",
            json: ["spiffe_id": "spiffe://example.org/fed", "parent_id": agent.id, "owner": "t", "purpose": "p",
                   "federates_with": ["b.org"]] as [String: Any])
        #expect(named.status == 201)
        let epoch = try #require(first.json["epoch"] as? String)
        let revision = try #require(first.json["revision"] as? Int)
        let second = try await server.sync(agent, epoch: epoch, since: revision, wait: 5)
        let documents = try #require(second.json["federated_bundles"] as? [String: String])
        #expect(Array(documents.keys) == ["b.org"])
        let parsed = try TrustBundle.parse(json: Array(documents["b.org"]!.utf8), trustDomain: try TrustDomain("b.org"))
        let peerBundle = try TrustBundle.parse(json: Array(try await Self.bundleJSON(peer).utf8), trustDomain: try TrustDomain("b.org"))
        #expect(try parsed.keyFingerprint() == peerBundle.keyFingerprint())

        // A waiting sync is woken when the federation goes away, and the bundle is gone from the answer.
        let revision2 = try #require(second.json["revision"] as? Int)
        async let waiting = server.sync(agent, epoch: epoch, since: revision2, wait: 20)
        try await Task.sleep(for: .milliseconds(300))
        let started = Date()
        #expect(try await server.request(server.admin, .DELETE, "/v1/federations/b.org").status == 200)
        let woken = try await waiting
        #expect(Date().timeIntervalSince(started) < 5)
        #expect((woken.json["federated_bundles"] as? [String: Any])?.isEmpty == true, "\(woken.text)")
    }
}
