import Foundation
import Testing
@testable import SignetCore

struct TrustRuleEvaluationTests {
    let td = try! TrustDomain("example.org")
    static let githubIssuer = "https://token.actions.githubusercontent.com"

    func githubRule(condition: String? = #"claims.repository_owner == "acme""#) -> TrustRule {
        TrustRule(
            id: "r1", name: "github-acme", issuer: Self.githubIssuer, audiences: ["signet", "other"],
            subjectTemplate: "spiffe://example.org/ci/github/{repository_owner}/{repository#2}", condition: condition,
            maxTTL: 600, owner: "platform", purpose: "deploys", preset: "github",
            allowedActors: ["spiffe://example.org/agents/*", "spiffe://example.org/bot-?"], createdBy: "test")
    }

    func githubClaims(_ extra: [String: JSONValue] = [:]) -> [String: JSONValue] {
        [
            "iss": .string(Self.githubIssuer), "aud": .string("signet"), "sub": .string("repo:acme/api:ref:refs/heads/main"),
            "repository": .string("acme/api"), "repository_owner": .string("acme"), "repository_owner_id": .string("77"),
            "ref": .string("refs/heads/main"),
        ].merging(extra) { $1 }
    }

    // MARK: evaluate

    @Test func matchesGitHubToken() throws {
        let result = githubRule().evaluate(claims: githubClaims(), trustDomain: td)
        #expect(result.matched)
        #expect(result.spiffeID == (try SPIFFEID("spiffe://example.org/ci/github/acme/api")))
        #expect(result.reasons.isEmpty)
        #expect(result.ruleName == "github-acme" && result.ruleID == "r1")
    }

    @Test func audienceArrayAndNoCondition() throws {
        let rule = githubRule(condition: nil)
        let result = rule.evaluate(claims: githubClaims(["aud": .array([.string("x"), .string("other")])]), trustDomain: td)
        #expect(result.matched)
    }

    @Test func matchesKubernetesToken() throws {
        let rule = TrustRule(
            name: "k8s-payments", issuer: "https://k8s.example.org", audiences: ["signet"],
            subjectTemplate: TrustRulePreset.kubernetes.defaultTemplate(trustDomain: td)!,
            condition: #"claims.kubernetes.io.namespace == "payments""#, maxTTL: 300, owner: "o", purpose: "p",
            preset: "kubernetes", createdBy: "t")
        var claims: [String: JSONValue] = [
            "iss": .string("https://k8s.example.org"), "aud": .array([.string("signet")]),
            "sub": .string("system:serviceaccount:payments:api"),
            "kubernetes.io": .object([
                "namespace": .string("payments"),
                "serviceaccount": .object(["name": .string("api"), "uid": .string("c0ffee")]),
                "pod": .object(["name": .string("api-5d9"), "uid": .string("beef")]),
            ]),
        ]
        #expect(rule.evaluate(claims: claims, trustDomain: td).spiffeID?.path == "/k8s/ns/payments/sa/api")
        claims["kubernetes.io"] = .object(["namespace": .string("other"), "serviceaccount": .object(["name": .string("api")])])
        let other = rule.evaluate(claims: claims, trustDomain: td)
        #expect(!other.matched)
        #expect(other.reasons == [#"condition is false: claims.kubernetes.io.namespace == "payments""#])
    }

    @Test func issuerMustMatchByteForByte() {
        for iss in [Self.githubIssuer + "/", "https://TOKEN.actions.githubusercontent.com", "http://token.actions.githubusercontent.com", ""] {
            let result = githubRule().evaluate(claims: githubClaims(["iss": .string(iss)]), trustDomain: td)
            #expect(!result.matched)
            #expect(result.spiffeID == nil)
            #expect(result.reasons.count == 1)
            #expect(result.reasons[0].contains("is not the rule's issuer"), "\(result.reasons)")
        }
        for iss in [JSONValue.null, .number(1), .array([.string(Self.githubIssuer)])] {
            let result = githubRule().evaluate(claims: githubClaims(["iss": iss]), trustDomain: td)
            #expect(result.reasons == ["token has no string 'iss' claim"])
        }
    }

    @Test func audienceMustOverlap() {
        let wrong = githubRule().evaluate(claims: githubClaims(["aud": .string("signet2")]), trustDomain: td)
        #expect(wrong.reasons == [#"audience ["signet2"] includes none of the rule's audiences ["signet", "other"]"#])
        let none = githubRule().evaluate(claims: githubClaims(["aud": .array([])]), trustDomain: td)
        #expect(none.reasons.first?.contains("no 'aud' claim") == true)
        let number = githubRule().evaluate(claims: githubClaims(["aud": .number(1)]), trustDomain: td)
        #expect(!number.matched)
        var missing = githubClaims()
        missing["aud"] = nil
        #expect(!githubRule().evaluate(claims: missing, trustDomain: td).matched)
    }

    @Test func conditionFalseOrFailingIsReported() {
        let evil = githubRule().evaluate(
            claims: githubClaims(["repository_owner": .string("evil"), "repository": .string("evil/api")]), trustDomain: td)
        #expect(evil.reasons == [#"condition is false: claims.repository_owner == "acme""#])
        let typeError = githubRule(condition: #"claims.nope.startsWith("x")"#).evaluate(claims: githubClaims(), trustDomain: td)
        #expect(typeError.reasons.count == 1)
        #expect(typeError.reasons[0].hasPrefix("condition failed: claims.nope is null (missing)"))
        let unparsable = githubRule(condition: "claims.a ==").evaluate(claims: githubClaims(), trustDomain: td)
        #expect(!unparsable.matched)
        #expect(unparsable.reasons[0].contains("ends early"))
    }

    @Test func injectionIsRefusedEvenWhenConditionPasses() {
        // The condition only pins the owner; the repository claim tries to climb out of it.
        let result = githubRule().evaluate(claims: githubClaims(["repository": .string("acme/../../x")]), trustDomain: td)
        #expect(!result.matched)
        #expect(result.reasons.count == 1)
        #expect(result.reasons[0].hasPrefix("mapping failed: claim 'repository'"))
    }

    @Test func everyFailureIsListed() {
        let result = githubRule().evaluate(
            claims: ["iss": .string("https://evil.example"), "aud": .string("x"), "repository_owner": .string("evil")],
            trustDomain: td)
        #expect(result.reasons.count == 4, "\(result.reasons)")
        #expect(result.reasons[0].contains("issuer"))
        #expect(result.reasons[1].contains("audience"))
        #expect(result.reasons[2].contains("condition is false"))
        #expect(result.reasons[3].contains("mapping failed: claim 'repository' is missing"))
    }

    @Test func templateInAnotherTrustDomainNeverMatches() {
        let result = githubRule().evaluate(claims: githubClaims(), trustDomain: try! TrustDomain("other.org"))
        #expect(!result.matched)
        #expect(result.reasons[0].contains("spiffe://other.org/"))
    }

    @Test func compiledRuleAgreesWithEvaluate() {
        let variants: [[String: JSONValue]] = [
            githubClaims(), githubClaims(["repository_owner": .string("evil")]), githubClaims(["aud": .string("x")]),
            githubClaims(["repository": .string("acme/..")]), githubClaims(["iss": .null]), [:],
        ]
        for condition in [nil, #"claims.repository_owner == "acme""#, "claims.a ==", #"claims.nope.startsWith("x")"#] {
            let rule = githubRule(condition: condition)
            let compiled = CompiledTrustRule(rule, trustDomain: td)
            for claims in variants {
                #expect(compiled.evaluate(claims: claims) == rule.evaluate(claims: claims, trustDomain: td))
            }
        }
        var broken = githubRule()
        broken.subjectTemplate = "spiffe://example.org/{"
        let result = CompiledTrustRule(broken, trustDomain: td).evaluate(claims: githubClaims())
        #expect(result.reasons.count == 1 && result.reasons[0].hasPrefix("mapping failed: template"))
    }

    // MARK: allowsActor

    @Test func allowedActors() throws {
        let rule = githubRule()
        #expect(rule.allowsActor(try SPIFFEID("spiffe://example.org/agents/claude")))
        #expect(rule.allowsActor(try SPIFFEID("spiffe://example.org/agents/team/claude")))
        #expect(rule.allowsActor(try SPIFFEID("spiffe://example.org/bot-1")))
        #expect(!rule.allowsActor(try SPIFFEID("spiffe://example.org/bot-12")))
        #expect(!rule.allowsActor(try SPIFFEID("spiffe://example.org/agents")))
        #expect(!rule.allowsActor(try SPIFFEID("spiffe://other.org/agents/claude")))
        #expect(!rule.allowsActor(try SPIFFEID("spiffe://example.org/agentsx/claude")))
        var none = rule
        none.allowedActors = []
        #expect(!none.allowsActor(try SPIFFEID("spiffe://example.org/agents/claude")))
    }

    // MARK: validate

    func problems(_ rule: TrustRule) -> [String] {
        do {
            try rule.validate(trustDomain: td)
            return []
        } catch {
            return error.problems
        }
    }

    @Test func validRuleValidates() throws {
        try githubRule().validate(trustDomain: td)
        var pinned = githubRule()
        pinned.keySource = .pinned(jwks: #"{"keys":[{"kty":"EC","crv":"P-256","x":"a","y":"b"}]}"#)
        try pinned.validate(trustDomain: td)
    }

    @Test(arguments: [
        ("", "name"), ("-abc", "name"), ("Abc", "name"), ("a_b", "name"), ("a b", "name"),
        (String(repeating: "a", count: 64), "name"),
    ])
    func badNames(name: String, fragment: String) {
        var rule = githubRule()
        rule.name = name
        #expect(problems(rule).count == 1)
        #expect(problems(rule).first?.hasPrefix("name ") == true)
    }

    @Test func goodNames() {
        for name in ["a", "0", "github-acme-deploy", String(repeating: "a", count: 63), "a-"] {
            var rule = githubRule()
            rule.name = name
            #expect(problems(rule).isEmpty, "\(name)")
        }
    }

    @Test(arguments: [
        "http://token.actions.githubusercontent.com", "token.actions.githubusercontent.com", "https://",
        "https://issuer.example?x=1", "https://issuer.example#frag", "https://user:pw@issuer.example",
        "https://issuer .example", "https://issuer.example/\u{E9}", "HTTPS://issuer.example", "",
    ])
    func badIssuers(issuer: String) {
        var rule = githubRule()
        rule.issuer = issuer
        let found = problems(rule)
        #expect(found.count == 1, "\(issuer): \(found)")
        #expect(found.first?.hasPrefix("issuer") == true)
    }

    @Test func goodIssuers() {
        for issuer in ["https://gitlab.com", "https://k8s.example.org:6443/cluster-1", "https://127.0.0.1:8443"] {
            var rule = githubRule()
            rule.issuer = issuer
            #expect(problems(rule).isEmpty, "\(issuer)")
        }
    }

    @Test func eachFieldProblemIsReported() {
        var rule = githubRule()
        rule.audiences = []
        rule.owner = " "
        rule.purpose = ""
        rule.maxTTL = 0
        rule.preset = "jenkins"
        rule.subjectTemplate = "spiffe://other.org/{sub}"
        rule.condition = "claims.a = 1"
        rule.allowedActors = ["example.org/agents/*"]
        rule.keySource = .pinned(jwks: "{}")
        let found = problems(rule)
        #expect(found.count == 9, "\(found)")
        let joined = found.joined(separator: "\n")
        for fragment in ["at least one audience", "owner is required", "purpose is required", "max TTL must be positive",
                         "unknown preset 'jenkins'", "non-empty \"keys\"", "subject template:", "condition: use '=='",
                         "allowed actor"] {
            #expect(joined.contains(fragment), "\(fragment)")
        }
        let error = TrustRuleValidationError(problems: found)
        #expect(error.message == found.joined(separator: "; "))
        #expect(error.description.hasPrefix("invalid trust rule: "))
    }

    @Test func audienceLimits() {
        var rule = githubRule()
        rule.audiences = [""]
        #expect(problems(rule).first?.contains("non-empty") == true)
        rule.audiences = (0..<33).map { "a\($0)" }
        #expect(problems(rule).first?.contains("at most 32") == true)
    }

    @Test func pinnedJWKSMustHaveKeys() {
        for jwks in ["", "[]", #"{"keys":[]}"#, #"{"keys":{}}"#, "not json", #"{"keys":[1],"keys":[2]}"#] {
            var rule = githubRule()
            rule.keySource = .pinned(jwks: jwks)
            #expect(problems(rule) == [#"pinned JWKS must be a JSON object with a non-empty "keys" list"#], "\(jwks)")
        }
    }

    @Test(arguments: [
        "spiffe://example.org", "spiffe://example.org/", "spiffe://Example.org/a", "spiffe://*/agents",
        "spiffe://example.org/a//b", "spiffe://example.org/../x", "spiffe://example.org/a b", "spiffe://example.org/%2e",
        "https://example.org/a", "*",
    ])
    func badActorPatterns(pattern: String) {
        var rule = githubRule()
        rule.allowedActors = [pattern]
        let found = problems(rule)
        #expect(found.count == 1, "\(pattern): \(found)")
        #expect(found.first?.hasPrefix("allowed actor") == true)
    }

    @Test func goodActorPatterns() {
        var rule = githubRule()
        rule.allowedActors = ["spiffe://example.org/*", "spiffe://other.org/agents/a?-*", "spiffe://example.org/x/y"]
        #expect(problems(rule).isEmpty)
    }
}
