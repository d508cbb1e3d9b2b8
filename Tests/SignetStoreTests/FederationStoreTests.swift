import Foundation
import SignetCore
import Testing

@testable import SignetStore

@Suite("Federation records: trust rules, OAuth clients, federated domains, used tokens")
struct FederationStoreTests {
    static func rule(_ name: String, id: String = UUID().uuidString.lowercased(), audience: String = "signet")
        -> TrustRule
    {
        TrustRule(
            id: id, name: name, issuer: "https://token.actions.githubusercontent.com",
            keySource: .pinned(jwks: #"{"keys":[]}"#), audiences: [audience],
            subjectTemplate: "spiffe://example.org/ci/github/{repository_owner}/{repository#2}",
            condition: #"claims.repository_owner == "acme""#, maxTTL: 600, owner: "team-ci", purpose: "deploys",
            preset: "github", allowedActors: ["spiffe://example.org/agents/*"],
            acceptedRisk: TrustRule.AcceptedRisk(
                reason: "sandbox", findings: ["audience-reused"], acceptedBy: "spiffe://example.org/signet/admin/a",
                acceptedAt: Fixture.time(5)),
            createdBy: "spiffe://example.org/signet/admin/alice", createdAt: Fixture.base)
    }

    @Test("a trust rule round-trips and is found by id and name; changes carry their events")
    func trustRuleRoundTrip() async throws {
        let store = try SQLiteStore.inMemory()
        let rule = Self.rule("github-acme")
        try await store.createTrustRule(rule, event: Fixture.event("trust.rule.create", subject: rule.id))
        #expect(try await store.trustRule(id: rule.id) == rule)
        #expect(try await store.trustRule(name: "github-acme") == rule)
        #expect(try await store.trustRule(name: "nope") == nil)

        var updated = rule
        updated.condition = #"claims.repository_owner_id == "42""#
        updated.revision = 2
        try await store.updateTrustRule(updated, expectedRevision: 1, event: Fixture.event("trust.rule.update"))
        #expect(try await store.trustRule(id: rule.id) == updated)

        let deleted = try await store.deleteTrustRule(id: rule.id, event: Fixture.event("trust.rule.delete"))
        #expect(deleted == updated)
        #expect(try await store.listTrustRules().isEmpty)
        #expect(
            try await store.listEvents(EventQuery()).map(\.action) == [
                "trust.rule.create", "trust.rule.update", "trust.rule.delete",
            ])
    }

    @Test("duplicate names, stale revisions and missing rules are refused without writing")
    func trustRuleConflicts() async throws {
        let store = try SQLiteStore.inMemory()
        let first = Self.rule("a")
        try await store.createTrustRule(first, event: Fixture.event("trust.rule.create"))
        _ = await Fixture.conflictMessage {
            try await store.createTrustRule(Self.rule("a"), event: Fixture.event("trust.rule.create"))
        }
        let second = Self.rule("b")
        try await store.createTrustRule(second, event: Fixture.event("trust.rule.create"))
        var renamed = second
        renamed.name = "a"
        _ = await Fixture.conflictMessage {
            try await store.updateTrustRule(renamed, expectedRevision: nil, event: Fixture.event("trust.rule.update"))
        }
        let stale = await Fixture.conflictMessage {
            try await store.updateTrustRule(second, expectedRevision: 7, event: Fixture.event("trust.rule.update"))
        }
        #expect(stale?.contains("revision 1") == true)
        await #expect(throws: StoreError.self) {
            try await store.deleteTrustRule(id: "missing", event: Fixture.event("trust.rule.delete"))
        }
        #expect(try await store.listTrustRules().map(\.name) == ["a", "b"])
        #expect(try await store.listEvents(EventQuery()).count == 2)
    }

    @Test("OAuth clients of both methods round-trip; ids are unique")
    func oauthClients() async throws {
        let store = try SQLiteStore.inMemory()
        let keyed = OAuthClient(
            id: "billing-legacy", authentication: .privateKeyJWT(jwks: #"{"keys":[]}"#),
            spiffeID: Fixture.id("spiffe://example.org/prod/billing/legacy"), audiences: ["https://api"], maxTTL: 300,
            owner: "billing", purpose: "legacy API", createdBy: "admin", createdAt: Fixture.base)
        let mtls = OAuthClient(
            id: "reports", authentication: .tlsClientAuth(sanURI: Fixture.id("spiffe://example.org/prod/r/api")),
            spiffeID: Fixture.id("spiffe://example.org/prod/r/api"), audiences: ["https://api"], maxTTL: 300,
            owner: "reports", purpose: "reports", createdBy: "admin", createdAt: Fixture.base)
        try await store.createOAuthClient(keyed, event: Fixture.event("oauth.client.create"))
        try await store.createOAuthClient(mtls, event: Fixture.event("oauth.client.create"))
        _ = await Fixture.conflictMessage {
            try await store.createOAuthClient(keyed, event: Fixture.event("oauth.client.create"))
        }
        #expect(try await store.listOAuthClients() == [keyed, mtls])
        #expect(try await store.oauthClient(id: "reports") == mtls)
        #expect(try await store.deleteOAuthClient(id: "reports", event: Fixture.event("oauth.client.delete")) == mtls)
        #expect(try await store.oauthClient(id: "reports") == nil)
    }

    @Test("a federated domain's bundle is kept beside its relationship and deleted with it")
    func federations() async throws {
        let store = try SQLiteStore.inMemory()
        let other = try TrustDomain("other.org")
        let relationship = FederationRelationship(
            trustDomain: other, bundleEndpointURL: "https://other.org:8443/bundle",
            profile: .httpsSPIFFE(endpointSPIFFEID: Fixture.id("spiffe://other.org/signet/server")),
            bootstrapBundle: #"{"keys":[]}"#, createdBy: "admin", createdAt: Fixture.base)
        let orphan = FederatedBundle(trustDomain: other, bundleJSON: "{}", sequence: 1)
        await #expect(throws: StoreError.self) { try await store.saveFederatedBundle(orphan, event: nil) }

        try await store.saveFederation(relationship, event: Fixture.event("federation.create"))
        #expect(try await store.federation(trustDomain: other) == relationship)
        let bundle = FederatedBundle(
            trustDomain: other, bundleJSON: #"{"keys":[],"spiffe_sequence":3}"#, sequence: 3, refreshHint: 60,
            fetchedAt: Fixture.time(9), lastAttemptAt: Fixture.time(9))
        try await store.saveFederatedBundle(bundle, event: Fixture.event("federation.bundle.update"))
        var failed = bundle
        failed.lastError = "connection refused"
        try await store.saveFederatedBundle(failed, event: nil)
        #expect(try await store.federatedBundle(trustDomain: other) == failed)
        #expect(try await store.listFederatedBundles() == [failed])

        try await store.deleteFederation(trustDomain: other, event: Fixture.event("federation.delete"))
        #expect(try await store.listFederations().isEmpty)
        #expect(try await store.listFederatedBundles().isEmpty)
        #expect(
            try await store.listEvents(EventQuery()).map(\.action) == [
                "federation.create", "federation.bundle.update", "federation.delete",
            ])
    }

    @Test("entries keep federates_with")
    func entryFederatesWith() async throws {
        let store = try SQLiteStore.inMemory()
        var entry = Fixture.entry()
        entry.federatesWith = [try TrustDomain("b.org"), try TrustDomain("a.org")]
        try await store.createEntry(entry, event: Fixture.event("entry.create"))
        #expect(try await store.entry(id: entry.id)?.federatesWith.map(\.description) == ["a.org", "b.org"])
    }

    @Test("a consumed token cannot be consumed again while valid; the issuance and its event are not written")
    func tokenReplay() async throws {
        let store = try SQLiteStore.inMemory()
        let use = TokenUse(key: "issuer|jti-1", expiresAt: Fixture.time(60_000))
        try await store.recordIssuance(
            Fixture.credential(serial: "s1"), event: Fixture.event("exchange.token", subject: "s1"), consuming: [use],
            now: Fixture.time(1_000))
        let message = await Fixture.conflictMessage {
            try await store.recordIssuance(
                Fixture.credential(serial: "s2"), event: Fixture.event("exchange.token", subject: "s2"),
                consuming: [use], now: Fixture.time(2_000))
        }
        #expect(message?.contains("already used") == true)
        #expect(try await store.credential(serial: "s2") == nil)
        #expect(try await store.listEvents(EventQuery()).map(\.subject) == ["s1"])
        #expect(try await store.tokenUses(activeAt: Fixture.time(2_000)) == [use])

        // Once expired, the record may be purged (or reused: the token itself is invalid by then).
        #expect(try await store.tokenUses(activeAt: Fixture.time(60_000)).isEmpty)
        try await store.recordIssuance(
            Fixture.credential(serial: "s3"), event: Fixture.event("exchange.token", subject: "s3"),
            consuming: [TokenUse(key: "issuer|jti-1", expiresAt: Fixture.time(120_000))], now: Fixture.time(61_000))
        #expect(try await store.purgeTokenUses(expiredBefore: Fixture.time(200_000)) == 1)
    }

    @Test("concurrent consumers of one token: exactly one succeeds")
    func tokenRace() async throws {
        let store = try SQLiteStore.inMemory()
        let use = TokenUse(key: "race", expiresAt: Date().addingTimeInterval(600))
        let successes = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<32 {
                group.addTask {
                    do {
                        try await store.recordIssuance(
                            Fixture.credential(serial: "r\(index)"), event: Fixture.event("exchange.token"),
                            consuming: [use], now: Date())
                        return true
                    } catch {
                        return false
                    }
                }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(successes == 1)
        #expect(try await store.listCredentials(CredentialQuery()).count == 1)
    }
}
