import Foundation
import SignetCore
import SignetPKI
import Testing
@testable import SignetServer

/// Delegation at the token endpoint: `actor_token`, `may_act`, rule `allowed_actors`, nested
/// `act` chains and the depth bound.
@Suite(.serialized)
struct DelegationEndpointTests {
    static let jwtType = "urn:ietf:params:oauth:token-type:jwt"

    static func delegate(subject: String, actor: String, audience: String) -> [(String, String)] {
        TestServer.exchangeParameters(subject: subject, audience: audience)
            + [("actor_token", actor), ("actor_token_type", jwtType)]
    }

    @Test func ruleAllowedActorsGrantNestedChainsUpToTheDepthBound() async throws {
        let server = try await TestServer.start { $0.maxDelegationDepth = 2 }
        defer { Task { try await server.stop() } }
        let issuer = try TestIssuer()
        try await server.addRule(name: "github-acme", issuer: issuer, allowedActors: ["spiffe://example.org/agents/*"])
        let agentA = try await server.mintJWTSVID("spiffe://example.org/agents/a", audience: [server.baseURL])
        let agentB = try await server.mintJWTSVID(
            "spiffe://example.org/agents/b", audience: [server.baseURL + "/oauth2/token"])
        let agentC = try await server.mintJWTSVID("spiffe://example.org/agents/c", audience: [server.baseURL])
        let outsider = try await server.mintJWTSVID("spiffe://example.org/tools/x", audience: [server.baseURL])

        // An actor the rule does not list is refused, and the subject token stays unused.
        let subject = issuer.githubToken()
        let refused = try await server.token(Self.delegate(subject: subject, actor: outsider, audience: server.baseURL))
        #expect(refused.error == "invalid_grant", "\(refused.json)")
        #expect(refused.errorDescription == "the actor is not allowed to act for this subject")

        // Hop 1: agent A acts for the CI job. Audience = this server, so the result can be exchanged again.
        let first = try await server.token(Self.delegate(subject: subject, actor: agentA, audience: server.baseURL))
        #expect(first.status == 200, "\(first.json)")
        let t1 = try #require(first.accessToken)
        let c1 = try await server.verifyIssued(t1).claims
        #expect(c1["sub"] == .string("spiffe://example.org/ci/github/acme/api"))
        #expect(c1["act"] == .object(["sub": .string("spiffe://example.org/agents/a")]))
        #expect(c1["signet_rule"] == .string("github-acme"))

        // Hop 2: agent B acts for that token (a JWT-SVID of this domain; the rule it names allows B).
        let second = try await server.token(Self.delegate(subject: t1, actor: agentB, audience: server.baseURL))
        #expect(second.status == 200, "\(second.json)")
        let t2 = try #require(second.accessToken)
        let c2 = try await server.verifyIssued(t2).claims
        #expect(c2["sub"] == .string("spiffe://example.org/ci/github/acme/api"))
        #expect(
            c2["act"]
                == .object([
                    "sub": .string("spiffe://example.org/agents/b"),
                    "act": .object(["sub": .string("spiffe://example.org/agents/a")]),
                ]))
        // The re-exchanged token never outlives the token it came from.
        let exp1 = try #require(c1["exp"]?.numberValue)
        #expect(try #require(c2["exp"]?.numberValue) <= exp1)

        // Hop 3 would make three actors; the bound is two.
        let third = try await server.token(Self.delegate(subject: t2, actor: agentC, audience: server.baseURL))
        #expect(third.error == "invalid_request", "\(third.json)")
        #expect(third.errorDescription.contains("delegation chain too long"))

        // Exchanging without an actor keeps the chain (a delegated token is never laundered).
        let plain = try await server.token(TestServer.exchangeParameters(subject: t2, audience: "https://api.example.org"))
        #expect(plain.status == 200, "\(plain.json)")
        #expect(try await server.verifyIssued(try #require(plain.accessToken)).claims["act"] == c2["act"])

        let events = try await server.exchangeEvents().filter { $0["outcome"] as? String == "success" }
        let chains = events.compactMap { ($0["details"] as? [String: String])?["actor_chain"] }
        #expect(chains.contains("spiffe://example.org/agents/b <- spiffe://example.org/agents/a"))
    }

    @Test func mayActInTheSubjectTokenGrantsTheNamedActorOnly() async throws {
        let server = try await TestServer.start()
        defer { Task { try await server.stop() } }
        let issuer = try TestIssuer()
        try await server.addRule(name: "github-acme", issuer: issuer)  // no allowed_actors
        let agent = try await server.mintJWTSVID("spiffe://example.org/agents/reviewer", audience: [server.baseURL])
        let other = try await server.mintJWTSVID("spiffe://example.org/agents/other", audience: [server.baseURL])

        let noMayAct = issuer.githubToken()
        #expect(try await server.token(Self.delegate(subject: noMayAct, actor: agent, audience: "svc")).error == "invalid_grant")

        let withMayAct = issuer.githubToken {
            $0["may_act"] = .array([
                .object(["sub": .string("spiffe://example.org/agents/review*")]),
                .object(["sub": .string("spiffe://example.org/agents/other"), "iss": .string("https://elsewhere")]),
            ])
        }
        // An entry with members Signet cannot check (iss) grants nothing.
        #expect(try await server.token(Self.delegate(subject: withMayAct, actor: other, audience: "svc")).error == "invalid_grant")
        let granted = try await server.token(Self.delegate(subject: withMayAct, actor: agent, audience: "svc"))
        #expect(granted.status == 200, "\(granted.json)")
        let claims = try await server.verifyIssued(try #require(granted.accessToken)).claims
        #expect(claims["act"] == .object(["sub": .string("spiffe://example.org/agents/reviewer")]))
        #expect(claims["may_act"] == nil)
    }

    @Test func jwtSVIDSubjectsMustBeAddressedToThisServer() async throws {
        let server = try await TestServer.start()
        defer { Task { try await server.stop() } }
        let elsewhere = try await server.mintJWTSVID("spiffe://example.org/agents/a", audience: ["https://db.example.org"])
        let refused = try await server.token(TestServer.exchangeParameters(subject: elsewhere))
        #expect(refused.error == "invalid_grant")
        #expect(refused.errorDescription.contains("audience must include"))

        // Addressed to the token endpoint: exchanged for the same identity, and only once.
        let mine = try await server.mintJWTSVID("spiffe://example.org/agents/a", audience: [server.baseURL + "/oauth2/token"])
        let ok = try await server.token(TestServer.exchangeParameters(subject: mine, audience: "https://db.example.org"))
        #expect(ok.status == 200, "\(ok.json)")
        let claims = try await server.verifyIssued(try #require(ok.accessToken)).claims
        #expect(claims["sub"] == .string("spiffe://example.org/agents/a"))
        #expect(claims["signet_rule"] == nil)
        #expect(try await server.token(TestServer.exchangeParameters(subject: mine)).errorDescription == "subject token already used")
    }
}
