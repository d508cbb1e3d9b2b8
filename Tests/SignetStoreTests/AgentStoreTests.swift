import Foundation
import SignetCore
import Testing

@testable import SignetStore

@Suite("Join tokens and agents")
struct AgentStoreTests {
    let store: SQLiteStore

    init() throws {
        store = try SQLiteStore.inMemory()
    }

    static func token(id: String = "tok1", hash: String = "aa11", spiffeID: String? = nil, expiresIn: Int64 = 600_000)
        -> JoinToken
    {
        JoinToken(
            id: id, secretHash: hash, spiffeID: spiffeID.map(Fixture.id), createdBy: "spiffe://example.org/signet/admin/a",
            createdAt: Fixture.base, expiresAt: Fixture.time(expiresIn))
    }

    static func agent(_ path: String = "/signet/agent/join_token/tok1", evicted: Bool = false) -> AgentRecord {
        AgentRecord(
            id: Fixture.id("spiffe://example.org" + path), attestationType: "join_token",
            selectors: [Fixture.selector("join_token:tok1"), Fixture.selector("a:b")], serial: "0a0b",
            svidExpiresAt: Fixture.time(3_600_000), attestedAt: Fixture.base, lastSeenAt: Fixture.time(5),
            evicted: evicted)
    }

    func actions() async throws -> [String] {
        try await store.listEvents(EventQuery()).map(\.action)
    }

    @Test("a join token round-trips and its id is unique")
    func createAndRead() async throws {
        let token = Self.token(spiffeID: "spiffe://example.org/signet/agent/web-1")
        try await store.createJoinToken(token, event: Fixture.event("join_token.create"))
        #expect(try await store.joinToken(id: "tok1") == token)
        #expect(try await store.joinToken(id: "nope") == nil)
        await Fixture.expectError(.conflict("join token id 'tok1' is already taken")) {
            try await store.createJoinToken(token, event: Fixture.event("join_token.create"))
        }
        #expect(try await actions() == ["join_token.create"])
    }

    @Test("consuming marks the token used once, with its event")
    func consume() async throws {
        try await store.createJoinToken(Self.token(), event: Fixture.event("join_token.create"))
        let agentID = Fixture.id("spiffe://example.org/signet/agent/join_token/tok1")
        let used = try await store.consumeJoinToken(
            id: "tok1", secretHash: "aa11", agentID: agentID, now: Fixture.time(1000), event: Fixture.event("join_token.use"))
        #expect(used.usedAt == Fixture.time(1000))
        #expect(used.usedBy == agentID)
        #expect(try await store.joinToken(id: "tok1") == used)

        let again = await Fixture.conflictMessage {
            _ = try await store.consumeJoinToken(
                id: "tok1", secretHash: "aa11", agentID: agentID, now: Fixture.time(2000), event: Fixture.event("x"))
        }
        #expect(again?.contains("already used") == true)
        #expect(try await actions() == ["join_token.create", "join_token.use"])
    }

    @Test("unknown ids and wrong secrets are not found; expired tokens conflict; refusals append nothing")
    func refusals() async throws {
        try await store.createJoinToken(Self.token(), event: Fixture.event("join_token.create"))
        let agentID = Fixture.id("spiffe://example.org/signet/agent/x")
        await Fixture.expectError(.notFound("join token 'nope'")) {
            _ = try await store.consumeJoinToken(
                id: "nope", secretHash: "aa11", agentID: agentID, now: Fixture.base, event: Fixture.event("x"))
        }
        await Fixture.expectError(.notFound("join token 'tok1'")) {
            _ = try await store.consumeJoinToken(
                id: "tok1", secretHash: "bb22", agentID: agentID, now: Fixture.base, event: Fixture.event("x"))
        }
        let expired = await Fixture.conflictMessage {
            _ = try await store.consumeJoinToken(
                id: "tok1", secretHash: "aa11", agentID: agentID, now: Fixture.time(600_000), event: Fixture.event("x"))
        }
        #expect(expired?.contains("expired") == true)
        #expect(try await store.joinToken(id: "tok1")?.usedAt == nil)
        #expect(try await actions() == ["join_token.create"])
    }

    @Test("of two concurrent consumes of one token exactly one succeeds", arguments: [false, true])
    func concurrentConsume(fileBacked: Bool) async throws {
        try await withTemporaryDirectory { directory in
            let store = fileBacked ? try SQLiteStore(path: directory.appendingPathComponent("s.db").path) : self.store
            for round in 0..<10 {
                let id = "race\(round)"
                try await store.createJoinToken(Self.token(id: id), event: Fixture.event("join_token.create"))
                let outcomes = await withTaskGroup(of: Bool.self, returning: [Bool].self) { group in
                    for n in 0..<2 {
                        group.addTask {
                            do {
                                _ = try await store.consumeJoinToken(
                                    id: id, secretHash: "aa11",
                                    agentID: Fixture.id("spiffe://example.org/signet/agent/n\(n)"), now: Fixture.base,
                                    event: Fixture.event("join_token.use", subject: id))
                                return true
                            } catch {
                                return false
                            }
                        }
                    }
                    return await group.reduce(into: []) { $0.append($1) }
                }
                #expect(outcomes.filter { $0 }.count == 1)
            }
            let uses = try await store.listEvents(EventQuery(action: "join_token.use"))
            #expect(uses.count == 10)
        }
    }

    @Test("saveAgent inserts, then replaces by SPIFFE ID; list is ordered")
    func agents() async throws {
        let first = Self.agent()
        try await store.saveAgent(first, event: Fixture.event("agent.attest"))
        #expect(try await store.agent(id: first.id) == first)

        var renewed = first
        renewed.serial = "ffee"
        renewed.svidExpiresAt = Fixture.time(7_200_000)
        renewed.lastSeenAt = Fixture.time(3_600_000)
        try await store.saveAgent(renewed, event: Fixture.event("agent.renew"))
        var evicted = renewed
        evicted.evicted = true
        try await store.saveAgent(evicted, event: Fixture.event("agent.evict"))
        #expect(try await store.agent(id: first.id) == evicted)

        let other = Self.agent("/signet/agent/x509pop/abc")
        try await store.saveAgent(other, event: Fixture.event("agent.attest"))
        #expect(try await store.listAgents() == [evicted, other])
        #expect(try await store.agent(id: Fixture.id("spiffe://example.org/nobody")) == nil)
        #expect(try await actions() == ["agent.attest", "agent.renew", "agent.evict", "agent.attest"])
    }

    @Test("appendEvents writes a batch in order")
    func appendEvents() async throws {
        try await store.appendEvents([Fixture.event("workload.denied"), Fixture.event("workload.attest")])
        try await store.appendEvents([])
        #expect(try await actions() == ["workload.denied", "workload.attest"])
    }

    @Test("agent tables survive reopening the file (migration v2 applies once)")
    func persistence() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("signet.db").path
            do {
                let store = try SQLiteStore(path: path)
                try await store.createJoinToken(Self.token(), event: Fixture.event("join_token.create"))
                try await store.saveAgent(Self.agent(), event: Fixture.event("agent.attest"))
            }
            let reopened = try SQLiteStore(path: path)
            #expect(try await reopened.joinToken(id: "tok1") == Self.token())
            #expect(try await reopened.listAgents() == [Self.agent()])
        }
    }
}
