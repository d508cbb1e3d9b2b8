import Foundation
import Testing
@testable import SignetCore

struct GovernanceTests {
    let td = try! TrustDomain("example.org")

    func entry(_ id: String, x509: Int = 3600, jwt: Int = 300, owner: String = "payments", purpose: String = "api",
               env: String? = nil, dns: [String] = []) throws -> RegistrationEntry {
        RegistrationEntry(
            spiffeID: try SPIFFEID(id), x509TTL: x509, jwtTTL: jwt, dnsNames: dns, owner: owner, purpose: purpose,
            environment: env, createdBy: "test")
    }

    @Test func acceptsWellFormedEntry() throws {
        let policy = GovernancePolicy(trustDomain: td)
        #expect(policy.violations(of: try entry("spiffe://example.org/prod/payments/api")).isEmpty)
    }

    @Test func refusesEachRuleWithAMessage() throws {
        let policy = GovernancePolicy(trustDomain: td)
        func problems(_ e: RegistrationEntry) -> String { policy.violations(of: e).joined(separator: "; ") }
        #expect(problems(try entry("spiffe://other.org/x")).contains("not in this server's trust domain"))
        #expect(problems(try entry("spiffe://example.org")).contains("has no path"))
        #expect(problems(try entry("spiffe://example.org/signet/admin/x")).contains("reserved"))
        #expect(problems(try entry("spiffe://example.org/x", x509: 7200)).contains("x509 TTL 2h"))
        #expect(problems(try entry("spiffe://example.org/x", jwt: 0)).contains("JWT TTL"))
        #expect(problems(try entry("spiffe://example.org/x", owner: " ")).contains("owner is required"))
        #expect(problems(try entry("spiffe://example.org/x", purpose: "")).contains("purpose is required"))
        #expect(problems(try entry("spiffe://example.org/x", dns: ["bad_name"])).contains("not a valid host name"))
    }

    @Test func namingRulesAndEnvironments() throws {
        let rule = try NamingRule("spiffe://{td}/{env}/{team}/{service}", defaultTrustDomain: td)
        #expect(rule.match(try SPIFFEID("spiffe://example.org/prod/payments/api")) == ["env": "prod", "team": "payments", "service": "api"])
        #expect(rule.match(try SPIFFEID("spiffe://example.org/prod/payments")) == nil)
        #expect(rule.match(try SPIFFEID("spiffe://example.org/prod/payments/api/extra")) == nil)
        #expect(rule.match(try SPIFFEID("spiffe://other.org/prod/payments/api")) == nil)

        let policy = GovernancePolicy(trustDomain: td, namingRules: [rule], allowedEnvironments: ["prod", "dev"])
        #expect(policy.violations(of: try entry("spiffe://example.org/prod/payments/api")).isEmpty)
        #expect(policy.violations(of: try entry("spiffe://example.org/web")).first?.contains("matches no naming rule") == true)
        #expect(policy.violations(of: try entry("spiffe://example.org/qa/payments/api")).contains { $0.contains("'qa' is not one of") })
        #expect(policy.violations(of: try entry("spiffe://example.org/prod/payments/api", env: "dev")).contains { $0.contains("differs") })
    }

    @Test func namingRuleLiteralsAndRest() throws {
        let rule = try NamingRule("/ci/github/{owner}/{repo...}", defaultTrustDomain: td)
        #expect(rule.match(try SPIFFEID("spiffe://example.org/ci/github/acme/app/main")) == ["owner": "acme", "repo": "app/main"])
        #expect(rule.match(try SPIFFEID("spiffe://example.org/ci/gitlab/acme/app")) == nil)
        #expect(throws: NamingRule.ParseError.self) { try NamingRule("/a/{x...}/b", defaultTrustDomain: td) }
        #expect(throws: NamingRule.ParseError.self) { try NamingRule("/a/{x-y}", defaultTrustDomain: td) }
        #expect(throws: NamingRule.ParseError.self) { try NamingRule("example.org/a", defaultTrustDomain: td) }
        #expect(throws: NamingRule.ParseError.self) { try NamingRule("/a/../b", defaultTrustDomain: td) }
    }

    @Test func selectorsParse() throws {
        let s = try Selector("unix:uid:1000")
        #expect(s.type == "unix" && s.value == "uid:1000")
        #expect(throws: SelectorError.missingColon("unix")) { try Selector("unix") }
        #expect(throws: SelectorError.self) { try Selector(":x") }
        #expect(throws: SelectorError.self) { try Selector("unix:") }
        #expect(throws: SelectorError.self) { try Selector("un ix:a") }
    }

    @Test func lifetimes() throws {
        #expect(try Lifetime.seconds("90s") == 90)
        #expect(try Lifetime.seconds("5m") == 300)
        #expect(try Lifetime.seconds("1h30m") == 5400)
        #expect(try Lifetime.seconds("7d") == 604_800)
        #expect(try Lifetime.seconds("3600") == 3600)
        for bad in ["", "0", "-5m", "5x", "m", "1h5", "99999999999999999999d"] {
            #expect(throws: Lifetime.ParseError.self, "\(bad)") { try Lifetime.seconds(bad) }
        }
        #expect(Lifetime.format(5400) == "1h30m")
        #expect(Lifetime.format(300) == "5m")
    }

    @Test func dnsNames() {
        #expect(DNSName.isValid("api.example.org"))
        #expect(DNSName.isValid("*.example.org"))
        #expect(DNSName.isValid("localhost"))
        for bad in ["", "-a.org", "a..org", "a_b.org", "*.", "a.*.org", String(repeating: "a", count: 64) + ".org"] {
            #expect(!DNSName.isValid(bad), "\(bad)")
        }
    }
}
