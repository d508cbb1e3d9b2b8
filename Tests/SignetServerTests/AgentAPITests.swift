import AsyncHTTPClient
import Crypto
import _CryptoExtras
import Foundation
import Testing
import X509
@testable import SignetCore
@testable import SignetPKI
@testable import SignetServer

/// The node-agent API end to end, against an in-process server.
/// Serialized: the x509pop test sets a process-wide environment variable.
@Suite(.serialized)
struct AgentAPITests {
    static let serverID = "spiffe://example.org/signet/server"

    @Test func joinTokenAgentRenewsSyncsAndObtainsCredentials() async throws {
        let server = try await TestServer.start()
        defer { Task { try await server.stop() } }
        let token = try await server.joinToken()
        let tokenID = try #require(token["id"] as? String)
        let secret = try #require(token["token"] as? String)
        #expect(secret.count == 43)
        #expect(token["spiffe_id"] as? String == "spiffe://example.org/signet/agent/join_token/\(tokenID)")
        #expect(token["expires_at"] is String)
        let created = try await server.request(server.admin, .GET, "/v1/events?action=join_token.create")
        #expect((created.json["events"] as? [Any])?.count == 1)
        #expect(!created.text.contains(secret))

        let agent = try await server.attestedAgent(token: token)
        defer { Task { await agent.shutdown() } }
        #expect(agent.id == token["spiffe_id"] as? String)

        // Renewal: a new SVID for the same ID; the record follows it.
        let renewed = try await server.request(agent.client, .POST, "/agent/v1/renew", json: ["csr": try TestServer.csr(agent.key)])
        #expect(renewed.status == 200)
        #expect(renewed.json["spiffe_id"] as? String == agent.id)
        let leaf = try PEM.certificates(from: renewed.json["certificate_chain"] as! String)[0]
        #expect(abs(leaf.notValidAfter.timeIntervalSinceNow - 3600) < 60)
        let agents = try await server.request(server.admin, .GET, "/v1/agents").json["agents"] as? [[String: Any]]
        #expect(agents?.first?["serial"] as? String == Fingerprint.hex(leaf.serialNumber.bytes))
        #expect(agents?.first?["selectors"] as? [String] == ["join_token:\(tokenID)"])

        // Entries: one for the agent, a node alias matching its selector with one entry under it, one elsewhere.
        let own = try await server.entry("/prod/web", parent: agent.id, dnsNames: ["web.example.org"])
        let alias = try await server.entry("/nodes/tokened", parent: Self.serverID, selectors: ["join_token:\(tokenID)"])
        let viaAlias = try await server.entry("/prod/db", parent: "spiffe://example.org/nodes/tokened")
        let other = try await server.entry("/prod/other", parent: "spiffe://example.org/signet/agent/someone-else")

        let full = try await server.sync(agent)
        #expect(full.status == 200)
        #expect(full.json["full"] as? Bool == true)
        #expect(full.entryIDs == [own, viaAlias].sorted())
        #expect((full.json["bundle"] as? [String: Any])?["keys"] is [Any])
        #expect(full.json["bundle_sequence"] as? Int == 1)
        let epoch = try #require(full.json["epoch"] as? String)
        var revision = try #require(full.json["revision"] as? Int)

        // Delta: an update, a deletion and a creation since the full sync.
        #expect(try await server.request(server.admin, .PATCH, "/v1/entries/\(own)", json: ["owner": "web"]).status == 200)
        #expect(try await server.request(server.admin, .DELETE, "/v1/entries/\(viaAlias)").status == 200)
        #expect(try await server.request(server.admin, .DELETE, "/v1/entries/\(other)").status == 200)
        let added = try await server.entry("/prod/cache", parent: agent.id)
        let delta = try await server.sync(agent, epoch: epoch, since: revision)
        #expect(delta.json["full"] as? Bool == false)
        #expect(delta.entryIDs == [added, own].sorted())
        #expect(delta.removedIDs == [viaAlias])
        revision = try #require(delta.json["revision"] as? Int)

        // Entries under a node alias arrive with it and leave with it.
        let viaAlias2 = try await server.entry("/prod/db2", parent: "spiffe://example.org/nodes/tokened")
        let delta2 = try await server.sync(agent, epoch: epoch, since: revision)
        #expect(delta2.entryIDs == [viaAlias2])
        #expect(try await server.request(server.admin, .DELETE, "/v1/entries/\(alias)").status == 200)
        let delta3 = try await server.sync(agent, epoch: epoch, since: delta2.json["revision"] as! Int)
        #expect(delta3.entryIDs.isEmpty)
        #expect(delta3.removedIDs == [viaAlias2])
        let unchanged = try await server.sync(agent, epoch: epoch, since: delta3.json["revision"] as! Int)
        #expect(unchanged.json["full"] as? Bool == false && unchanged.entryIDs.isEmpty && unchanged.removedIDs.isEmpty)
        let otherEpoch = try await server.sync(agent, epoch: "stale", since: delta3.json["revision"] as! Int)
        #expect(otherEpoch.json["full"] as? Bool == true)
        #expect(otherEpoch.entryIDs == [added, own].sorted())

        // A batch of SVIDs: the agent's own entries are issued; another agent's entry and an unknown id are refused.
        let ownKey = P256.Signing.PrivateKey()
        let other2 = try await server.entry("/prod/other2", parent: "spiffe://example.org/signet/agent/someone-else")
        let batch = try await server.request(
            agent.client, .POST, "/agent/v1/svids",
            json: ["requests": [
                ["entry_id": own, "csr": try TestServer.csr(ownKey)],
                ["entry_id": added, "csr": try TestServer.csr()],
                ["entry_id": other2, "csr": try TestServer.csr()],
                ["entry_id": "no-such-entry", "csr": try TestServer.csr()],
            ]])
        #expect(batch.status == 200)
        let svids = try #require(batch.json["svids"] as? [[String: Any]])
        #expect(svids.compactMap { $0["entry_id"] as? String }.sorted() == [added, own].sorted())
        let errors = batch.json["errors"] as? [[String: Any]] ?? []
        #expect(errors.compactMap { $0["entry_id"] as? String }.sorted() == [other2, "no-such-entry"].sorted())
        let web = try #require(svids.first { $0["entry_id"] as? String == own })
        #expect(web["spiffe_id"] as? String == "spiffe://example.org/prod/web")
        let chain = try PEM.certificates(from: web["certificate_chain"] as! String)
        #expect(chain[0].publicKey == Certificate.PublicKey(ownKey.publicKey))
        #expect(abs(chain[0].notValidAfter.timeIntervalSinceNow - 600) < 60)
        #expect(try chain[0].extensions.subjectAlternativeNames?.contains(.dnsName("web.example.org")) == true)
        #expect(try await server.chainValidates(chain))
        let record = try await server.request(server.admin, .GET, "/v1/credentials?serial=\(web["serial"] as! String)")
        #expect((record.json["credentials"] as? [[String: Any]])?.first?["issued_to"] as? String == agent.id)

        // JWT-SVID for a servable entry; refused for another agent's.
        let jwt = try await server.request(
            agent.client, .POST, "/agent/v1/jwt", json: ["entry_id": own, "audience": ["billing"]] as [String: Any])
        #expect(jwt.status == 200)
        #expect(jwt.json["spiffe_id"] as? String == "spiffe://example.org/prod/web")
        #expect(jwt.json["expires_at"] is String)
        let validated = try await server.request(
            server.admin, .POST, "/v1/jwt/validate", json: ["token": jwt.json["token"]!, "audience": "billing"] as [String: Any])
        #expect(validated.json["spiffe_id"] as? String == "spiffe://example.org/prod/web")
        let refusedJWT = try await server.request(
            agent.client, .POST, "/agent/v1/jwt", json: ["entry_id": other2, "audience": "billing"])
        #expect(refusedJWT.status == 403)

        // Workload events reported by the agent, recorded with the agent as actor.
        let reported = try await server.request(
            agent.client, .POST, "/agent/v1/events",
            json: ["events": [[
                "action": "workload.denied", "subject": "pid:42", "outcome": "denied", "reason": "no matching entry",
                "details": ["uid": "1000"],
            ] as [String: Any]]])
        #expect(reported.status == 204)
        let workloadEvents = try await server.events("workload.denied")
        #expect(workloadEvents.count == 1)
        #expect(workloadEvents.first?["actor"] as? String == agent.id)
        let notWorkload = try await server.request(
            agent.client, .POST, "/agent/v1/events",
            json: ["events": [["action": "entry.delete", "subject": "x", "outcome": "success"]]])
        #expect(notWorkload.status == 400)
    }

    @Test func longPollWakesOnAChangeForTheAgentAndOtherwiseTimesOut() async throws {
        let server = try await TestServer.start()
        defer { Task { try await server.stop() } }
        let agent = try await server.attestedAgent()
        defer { Task { await agent.shutdown() } }
        let first = try await server.sync(agent)
        let epoch = try #require(first.json["epoch"] as? String)
        let revision = try #require(first.json["revision"] as? Int)

        async let waited = server.sync(agent, epoch: epoch, since: revision, wait: 20)
        try await Task.sleep(for: .milliseconds(300))
        let clock = ContinuousClock()
        let start = clock.now
        let id = try await server.entry("/prod/late", parent: agent.id)
        let reply = try await waited
        #expect(clock.now - start < .seconds(1))
        #expect(reply.status == 200)
        #expect(reply.entryIDs == [id])

        // A change for another parent does not end the wait; the wait elapses with an empty delta.
        let idleStart = clock.now
        async let idle = server.sync(agent, epoch: epoch, since: reply.json["revision"] as! Int, wait: 1)
        try await Task.sleep(for: .milliseconds(200))
        _ = try await server.entry("/prod/elsewhere", parent: "spiffe://example.org/signet/agent/other")
        let idleReply = try await idle
        #expect(clock.now - idleStart >= .milliseconds(900))
        #expect(idleReply.status == 200)
        #expect(idleReply.entryIDs.isEmpty && idleReply.removedIDs.isEmpty)
    }

    @Test func joinTokensAreSingleUseAndRefusalsAreRecorded() async throws {
        let server = try await TestServer.start()
        defer { Task { try await server.stop() } }
        let token = try await server.joinToken()
        let attest = { (token: Any, csr: String) in
            try await server.request(server.anonymous, .POST, "/agent/v1/attest/join_token", json: ["token": token, "csr": csr] as [String: Any])
        }
        // A bad CSR is refused without spending the token.
        let badCSR = try await attest(token["token"]!, "not a csr")
        #expect(badCSR.status == 400)
        #expect(badCSR.json["error"] as? String == "bad_csr")
        #expect(try await attest(token["token"]!, try TestServer.csr()).status == 200)
        let reused = try await attest(token["token"]!, try TestServer.csr())
        #expect(reused.status == 401)
        #expect(reused.json["message"] as? String == "join token already used: create a new one with `signet token create`")
        let unknown = try await attest(JoinTokenSecret.generate().text, try TestServer.csr())
        #expect(unknown.status == 401)
        #expect((unknown.json["message"] as? String ?? "").contains("unknown join token"))
        let shortLived = try await server.joinToken(ttl: 1)
        try await Task.sleep(for: .milliseconds(1100))
        let expired = try await attest(shortLived["token"]!, try TestServer.csr())
        #expect(expired.status == 401)
        #expect((expired.json["message"] as? String ?? "").contains("join token expired"))
        let outcomes = try await server.events("agent.attest").map { "\($0["outcome"]!)" }
        #expect(outcomes == ["denied", "success", "denied", "denied", "denied"])

        // Explicit agent IDs: only in the trust domain, outside /signet/ except /signet/agent/.
        for bad in ["spiffe://example.org/signet/admin/x", "spiffe://other.org/node", "spiffe://example.org/signet/server"] {
            let reply = try await server.request(server.admin, .POST, "/v1/join-tokens", json: ["spiffe_id": bad])
            #expect(reply.status == 422, "\(bad)")
        }
        #expect(try await server.request(server.admin, .POST, "/v1/join-tokens", json: ["ttl": "25h"]).status == 400)
        let named = try await server.attestedAgent(spiffeID: "spiffe://example.org/signet/agent/web-1")
        defer { Task { await named.shutdown() } }
        #expect(named.id == "spiffe://example.org/signet/agent/web-1")
    }

    @Test func x509popAttestsANodeCertificateFromTheConfiguredCA() async throws {
        let node = try NodePKI(cn: "web-1", dns: "web-1.example.org")
        let disabledServer = try await TestServer.start()
        let disabled = try await disabledServer.request(
            disabledServer.anonymous, .POST, "/agent/v1/attest/x509pop/challenge", json: ["certificate_chain": node.chainPEM])
        #expect(disabled.status == 401)
        #expect((disabled.json["message"] as? String ?? "").contains("x509pop_ca_bundle"))
        try await disabledServer.stop()

        let caDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("node-ca-\(UUID().uuidString)").path
        try SecureFile.makeDirectory(caDirectory)
        let bundlePath = caDirectory + "/node-ca.pem"
        try SecureFile.write(PEM.encode([node.root]), to: bundlePath)
        let server = try await TestServer.start { $0.x509popCABundle = bundlePath }
        defer { Task { try await server.stop() } }
        let challenge = { (chain: String) in
            try await server.request(
                server.anonymous, .POST, "/agent/v1/attest/x509pop/challenge", json: ["certificate_chain": chain])
        }
        let issued = try await challenge(node.chainPEM)
        #expect(issued.status == 200)
        let challengeID = try #require(issued.json["challenge_id"] as? String)
        let nonce = try #require(Data(base64Encoded: issued.json["nonce"] as? String ?? ""))
        #expect(nonce.count == 32)
        let signature = try node.key.signature(for: nonce).derRepresentation.base64EncodedString()
        let body: [String: Any] = ["challenge_id": challengeID, "signature": signature, "csr": try TestServer.csr()]
        let attested = try await server.request(server.anonymous, .POST, "/agent/v1/attest/x509pop", json: body)
        #expect(attested.status == 200, "\(attested.text)")
        let expectedID = "spiffe://example.org/signet/agent/x509pop/\(Fingerprint.certificate(der: node.leafDER))"
        #expect(attested.json["spiffe_id"] as? String == expectedID)
        let agents = try await server.request(server.admin, .GET, "/v1/agents").json["agents"] as? [[String: Any]]
        #expect(agents?.first?["selectors"] as? [String] == [
            "x509pop:ca:fingerprint:\(Fingerprint.certificate(der: try node.root.serializeAsPEM().derBytes))",
            "x509pop:san:dns:web-1.example.org", "x509pop:subject:cn:web-1",
        ])

        // The same challenge cannot be used twice.
        let replayed = try await server.request(server.anonymous, .POST, "/agent/v1/attest/x509pop", json: body)
        #expect(replayed.status == 401)
        // A signature by another key is refused (and spends the challenge).
        let second = try await challenge(node.chainPEM)
        let forged = try P256.Signing.PrivateKey().signature(for: Data(base64Encoded: second.json["nonce"] as! String)!)
        let wrong = try await server.request(
            server.anonymous, .POST, "/agent/v1/attest/x509pop",
            json: ["challenge_id": second.json["challenge_id"]!, "signature": forged.derRepresentation.base64EncodedString(),
                   "csr": try TestServer.csr()] as [String: Any])
        #expect(wrong.status == 401)
        #expect((wrong.json["message"] as? String ?? "").contains("does not verify"))
        // A node certificate from another CA gets no challenge.
        let stranger = try NodePKI(cn: "web-2", dns: "web-2.example.org")
        let untrusted = try await challenge(stranger.chainPEM)
        #expect(untrusted.status == 401)
        #expect((untrusted.json["message"] as? String ?? "").contains("does not chain"))
        // Replayed challenge, wrong signature, untrusted certificate (the "disabled" refusal was on its own server).
        let denied = try await server.events("agent.attest").filter { $0["outcome"] as? String == "denied" }
        #expect(denied.count == 3)
    }

    @Test func x509popNonceSignaturesOfEachKeyTypeVerify() throws {
        let nonce = (0..<32).map { UInt8($0) }
        let p384 = P384.Signing.PrivateKey()
        let rsa = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let verify = SignetAuthority.verifyNonceSignature
        #expect(verify(Array(try p384.signature(for: nonce).derRepresentation), nonce, .init(p384.publicKey)))
        #expect(!verify(Array(try p384.signature(for: nonce.reversed()).derRepresentation), nonce, .init(p384.publicKey)))
        let rsaSignature = try rsa.signature(for: nonce, padding: .insecurePKCS1v1_5).rawRepresentation
        #expect(verify(Array(rsaSignature), nonce, .init(rsa.publicKey)))
        let pss = try rsa.signature(for: nonce, padding: .PSS).rawRepresentation
        #expect(!verify(Array(pss), nonce, .init(rsa.publicKey)))
        #expect(!verify([1, 2, 3], nonce, .init(P256.Signing.PrivateKey().publicKey)))
    }

    @Test func evictionEndsRenewalSyncAndIssuanceIncludingAWaitingSync() async throws {
        let server = try await TestServer.start()
        defer { Task { try await server.stop() } }
        let named = "spiffe://example.org/signet/agent/web-9"
        let agent = try await server.attestedAgent(spiffeID: named)
        defer { Task { await agent.shutdown() } }
        let entryID = try await server.entry("/prod/web", parent: agent.id)
        let first = try await server.sync(agent)
        async let waiting = server.sync(
            agent, epoch: first.json["epoch"] as? String, since: first.json["revision"] as! Int, wait: 20)
        try await Task.sleep(for: .milliseconds(300))
        let clock = ContinuousClock()
        let start = clock.now
        let evicted = try await server.request(server.admin, .POST, "/v1/agents/evict", json: ["spiffe_id": agent.id])
        #expect(evicted.status == 200)
        #expect(evicted.json["evicted"] as? Bool == true)
        #expect(try await waiting.status == 403)
        #expect(clock.now - start < .seconds(1))

        let renew = try await server.request(agent.client, .POST, "/agent/v1/renew", json: ["csr": try TestServer.csr()])
        #expect(renew.status == 403)
        #expect(try await server.sync(agent).status == 403)
        let svids = try await server.request(
            agent.client, .POST, "/agent/v1/svids", json: ["requests": [["entry_id": entryID, "csr": try TestServer.csr()]]])
        #expect(svids.status == 403)
        #expect(try await server.events("agent.evict").count == 1)
        #expect(try await server.events("agent.denied").count >= 3)
        let unknown = try await server.request(
            server.admin, .POST, "/v1/agents/evict", json: ["spiffe_id": "spiffe://example.org/signet/agent/nobody"])
        #expect(unknown.status == 404)

        // A new token for the same ID lets a node attest again; the evicted node's older SVID stays refused.
        try await Task.sleep(for: .milliseconds(2200))
        let again = try await server.attestedAgent(spiffeID: named)
        defer { Task { await again.shutdown() } }
        #expect(try await server.sync(again).status == 200)
        #expect(try await server.sync(agent).status == 401)
    }

    @Test func adminAgentRoutesNeedTheAdminCertificateAndAgentRoutesAnAgent() async throws {
        let server = try await TestServer.start()
        defer { Task { try await server.stop() } }
        let agent = try await server.attestedAgent()
        defer { Task { await agent.shutdown() } }
        #expect(try await server.request(agent.client, .POST, "/v1/join-tokens", json: [:]).status == 403)
        #expect(try await server.request(agent.client, .GET, "/v1/agents").status == 403)
        #expect(try await server.request(server.anonymous, .GET, "/v1/agents").status == 401)
        #expect(try await server.request(server.anonymous, .GET, "/agent/v1/sync").status == 401)

        // A workload SVID is neither an admin nor an agent.
        _ = try await server.entry("/prod/api", parent: nil)
        let minted = try await server.request(
            server.admin, .POST, "/v1/svids/x509", json: ["spiffe_id": "spiffe://example.org/prod/api"])
        let workload = try server.client(
            chainPEM: minted.json["certificate_chain"] as! String, keyPEM: minted.json["private_key"] as! String)
        defer { Task { try await workload.shutdown() } }
        #expect(try await server.request(workload, .POST, "/v1/agents/evict", json: ["spiffe_id": agent.id]).status == 403)
        #expect(try await server.request(workload, .GET, "/agent/v1/sync").status == 401)
        let listed = try await server.request(server.admin, .GET, "/v1/agents")
        #expect((listed.json["agents"] as? [[String: Any]])?.first?["evicted"] as? Bool == false)
        #expect(try await server.events("agent.denied").count == 2)
    }
}

/// The entry index on its own: delta semantics and waking.
struct EntryIndexTests {
    let serverID = try! SPIFFEID("spiffe://example.org/signet/server")
    let agentID = try! SPIFFEID("spiffe://example.org/signet/agent/x509pop/n1")
    let otherID = try! SPIFFEID("spiffe://example.org/signet/agent/x509pop/n2")

    func entry(_ id: String, _ path: String, parent: SPIFFEID?, selectors: [String] = [], revision: Int = 1)
        -> RegistrationEntry
    {
        RegistrationEntry(
            id: id, spiffeID: try! SPIFFEID("spiffe://example.org" + path), parentID: parent,
            selectors: selectors.map { try! Selector($0) }, x509TTL: 600, jwtTTL: 60, owner: "o", purpose: "p",
            createdBy: "t", revision: revision)
    }

    var agent: AgentRecord {
        AgentRecord(
            id: agentID, attestationType: "x509pop",
            selectors: [try! Selector("x509pop:subject:cn:web-1"), try! Selector("x509pop:san:dns:web-1")],
            serial: "01", svidExpiresAt: Date(), attestedAt: Date(), lastSeenAt: Date())
    }

    @Test func deltasFollowMovesAliasChangesAndFallBackToFullSyncs() {
        let index = EntryIndex(serverID: serverID, logCapacity: 8)
        index.load([entry("e1", "/a", parent: agentID), entry("e2", "/b", parent: otherID)])
        let full = index.sync(agent: agent, epoch: nil, since: 0)
        #expect(full.full && full.entries.map(\.id) == ["e1"] && full.revision == 1)

        index.upsert(entry("e2", "/b", parent: agentID, revision: 2))
        index.upsert(entry("e1", "/a", parent: otherID, revision: 2))
        let moved = index.sync(agent: agent, epoch: index.epoch, since: full.revision)
        #expect(!moved.full && moved.entries.map(\.id) == ["e2"] && moved.removed == ["e1"])

        // An alias needing a selector the agent lacks does not apply; once it needs only held selectors, its
        // (unchanged) entries arrive; an alias without selectors applies to nobody.
        let nodes = try! SPIFFEID("spiffe://example.org/nodes/web")
        index.upsert(entry("a1", "/nodes/web", parent: serverID, selectors: ["x509pop:subject:cn:web-1", "region:eu"]))
        index.upsert(entry("e3", "/c", parent: nodes))
        let notYet = index.sync(agent: agent, epoch: index.epoch, since: moved.revision)
        #expect(notYet.isEmpty)
        index.upsert(entry("a1", "/nodes/web", parent: serverID, selectors: ["x509pop:subject:cn:web-1"], revision: 2))
        let aliased = index.sync(agent: agent, epoch: index.epoch, since: notYet.revision)
        #expect(aliased.entries.map(\.id) == ["e3"] && aliased.removed.isEmpty)
        #expect(index.servableEntry(id: "e3", agent: agent) != nil)
        index.upsert(entry("a1", "/nodes/web", parent: serverID, selectors: [], revision: 3))
        let unaliased = index.sync(agent: agent, epoch: index.epoch, since: aliased.revision)
        #expect(unaliased.entries.isEmpty && unaliased.removed == ["e3"])
        #expect(index.servableEntry(id: "e3", agent: agent) == nil)

        // A stale version is ignored, and a deleted entry is not revived by a late upsert.
        index.upsert(entry("e2", "/b", parent: otherID, revision: 1))
        #expect(index.servableEntry(id: "e2", agent: agent) != nil)
        index.remove(id: "e2")
        index.upsert(entry("e2", "/b", parent: agentID, revision: 3))
        let deleted = index.sync(agent: agent, epoch: index.epoch, since: unaliased.revision)
        #expect(deleted.entries.isEmpty && deleted.removed == ["e2"])

        // Further behind than the log reaches: a full sync.
        for n in 0..<20 { index.upsert(entry("n\(n)", "/n\(n)", parent: otherID)) }
        let behind = index.sync(agent: agent, epoch: index.epoch, since: deleted.revision)
        #expect(behind.full && behind.entries.isEmpty)
        #expect(!index.sync(agent: agent, epoch: index.epoch, since: index.revision - 1).full)
    }

    @Test func waitersWakeForTheirParentsEvictionOrTimeoutOnly() async throws {
        let index = EntryIndex(serverID: serverID)
        index.load([])
        let view = index.sync(agent: agent, epoch: index.epoch, since: 1)
        #expect(view.isEmpty)
        let agent = self.agent
        async let woken = index.wait(
            agent: agent, parents: view.parents, revision: view.revision, bundleGeneration: 0, timeout: .seconds(10))
        try await Self.untilWaiting(index)
        index.upsert(entry("x", "/x", parent: otherID))
        try await Task.sleep(for: .milliseconds(50))
        #expect(index.waitingCount == 1)
        index.upsert(entry("y", "/y", parent: agentID))
        #expect(await woken == .changed)

        // A revision that moved on before the wait began wakes at once.
        #expect(await index.wait(agent: agent, parents: view.parents, revision: view.revision, bundleGeneration: 0, timeout: .seconds(10)) == .changed)
        async let evicted = index.wait(
            agent: agent, parents: view.parents, revision: index.revision, bundleGeneration: 0, timeout: .seconds(10))
        try await Self.untilWaiting(index)
        index.evicted(agent: agentID)
        #expect(await evicted == .evicted)
        #expect(await index.wait(agent: agent, parents: view.parents, revision: index.revision, bundleGeneration: 0, timeout: .milliseconds(50)) == .timedOut)
        #expect(index.waitingCount == 0)
    }

    /// Lets the `async let` child register its waiter. It may start seconds late when other
    /// suites keep the cooperative pool busy (RSA key generation in debug builds).
    static func untilWaiting(_ index: EntryIndex) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while index.waitingCount == 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
    }
}
