import Testing
import Foundation
@testable import SignetCore

struct TrustRuleLinterTests {
    let td = try! TrustDomain("example.org")
    var policy: GovernancePolicy { GovernancePolicy(trustDomain: td, maxX509TTL: 3600, maxJWTTTL: 300) }

    func rule(
        _ preset: TrustRulePreset?, condition: String?, template: String? = nil, id: String = "r1",
        audiences: [String] = ["signet-r1"], maxTTL: Int = 600, issuer: String? = nil
    ) -> TrustRule {
        TrustRule(
            id: id, name: "rule-\(id)", issuer: issuer ?? preset?.defaultIssuer ?? "https://issuer.example",
            audiences: audiences,
            subjectTemplate: template ?? preset?.defaultTemplate(trustDomain: td) ?? "spiffe://example.org/ext/{sub}",
            condition: condition, maxTTL: maxTTL, owner: "o", purpose: "p", preset: preset?.rawValue, createdBy: "t")
    }

    func codes(_ rule: TrustRule, others: [TrustRule] = []) -> [String] {
        TrustRuleLinter.lint(rule, others: others, policy: policy).map(\.code)
    }

    // MARK: tenant-not-pinned / unbounded-mapping

    @Test func githubWithoutConditionIsRefused() {
        let findings = TrustRuleLinter.lint(rule(.github, condition: nil), others: [], policy: policy)
        #expect(findings.map(\.code) == ["tenant-not-pinned", "unbounded-mapping"])
        #expect(findings[0].message.contains(#"claims.repository_owner == "your-org""#))
        #expect(findings[0].message.contains("--accept-risk"))
        #expect(findings[1].message.contains("{repository}"))
    }

    @Test(arguments: [
        #"claims.repository_owner == "acme""#,
        #"claims.repository_owner_id == "1234""#,
        #"claims.repository_owner_id == 1234"#,
        #"claims.repository_owner in ["acme", "acme-labs"]"#,
        #"claims.repository == "acme/api""#,
        #"claims.repository.startsWith("acme/")"#,
        #"claims.repository matches "acme/*""#,
        #"claims.ref == "refs/heads/main" && claims.repository_owner == "acme""#,
        #"claims.repository_owner == "acme" || claims.repository_owner == "acme-labs""#,
        #"claims.sub.startsWith("repo:acme/")"#,
    ])
    func githubPinned(condition: String) {
        #expect(codes(rule(.github, condition: condition)) == [], "\(condition)")
    }

    @Test(arguments: [
        #"claims.ref == "refs/heads/main""#,
        #"claims.repository_owner != "evil""#,
        #"!(claims.repository_owner == "acme")"#,
        #"claims.repository_owner == "acme" || claims.ref == "refs/heads/main""#,
        #"claims.repository.startsWith("acme")"#,
        #"claims.repository.endsWith("/api")"#,
        #"claims.repository matches "*/api""#,
        #"claims.repository_owner == claims.actor"#,
        #"claims.repository_owner.startsWith("acme")"#,
        "true",
    ])
    func githubNotPinned(condition: String) {
        #expect(codes(rule(.github, condition: condition)) == ["tenant-not-pinned", "unbounded-mapping"], "\(condition)")
    }

    @Test func unparsableConditionCountsAsUnpinned() {
        #expect(codes(rule(.github, condition: "claims.a =")).contains("tenant-not-pinned"))
    }

    @Test func gitlab() {
        #expect(codes(rule(.gitlab, condition: nil)) == ["tenant-not-pinned", "unbounded-mapping"])
        #expect(codes(rule(.gitlab, condition: #"claims.namespace_path == "acme""#)) == [])
        #expect(codes(rule(.gitlab, condition: #"claims.namespace_id == "42""#)) == [])
        #expect(codes(rule(.gitlab, condition: #"claims.project_path.startsWith("acme/")"#)) == [])
        #expect(codes(rule(.gitlab, condition: #"claims.ref_protected == "true""#))
            == ["tenant-not-pinned", "unbounded-mapping"])
    }

    @Test func kubernetes() {
        #expect(codes(rule(.kubernetes, condition: nil, issuer: "https://k8s.example.org"))
            == ["tenant-not-pinned", "unbounded-mapping"])
        for pinned in [
            #"claims.kubernetes.io.namespace == "payments""#,
            #"claims["kubernetes.io"].namespace in ["payments", "billing"]"#,
            #"claims.sub == "system:serviceaccount:payments:api""#,
            #"claims.sub.startsWith("system:serviceaccount:payments:")"#,
        ] {
            #expect(codes(rule(.kubernetes, condition: pinned, issuer: "https://k8s.example.org")) == [], "\(pinned)")
        }
        #expect(codes(rule(.kubernetes, condition: #"claims.kubernetes.io.serviceaccount.name == "api""#,
                           issuer: "https://k8s.example.org")) == ["tenant-not-pinned", "unbounded-mapping"])
    }

    @Test func genericOIDC() {
        #expect(codes(rule(.oidc, condition: nil)) == ["tenant-not-pinned", "unbounded-mapping"])
        #expect(codes(rule(.oidc, condition: #"claims.tid == "contoso""#)) == ["unbounded-mapping"])  // {sub} unconstrained
        #expect(codes(rule(.oidc, condition: #"claims.sub == "svc-1""#)) == [])
        #expect(codes(rule(.oidc, condition: #"claims.tid == "contoso""#, template: "spiffe://example.org/ext/{oid}")) == [])
        #expect(codes(rule(.oidc, condition: #"claims.tid != "x""#, template: "spiffe://example.org/ext/x")) == ["tenant-not-pinned"])
        // No preset and an unknown issuer is generic OIDC.
        #expect(codes(rule(nil, condition: nil)) == ["tenant-not-pinned", "unbounded-mapping"])
    }

    @Test func presetInferredFromIssuer() {
        let github = rule(nil, condition: #"claims.sub == "repo:acme/api:ref:refs/heads/main""#,
                          template: "spiffe://example.org/ci/{repository_owner}",
                          issuer: TrustRulePreset.github.defaultIssuer)
        #expect(TrustRulePreset.of(github) == .github)
        #expect(codes(github) == [])
        #expect(TrustRulePreset.of(rule(nil, condition: nil, issuer: "https://gitlab.com")) == .gitlab)
        #expect(TrustRulePreset.of(rule(nil, condition: nil)) == .oidc)
    }

    @Test func unboundedMappingDependsOnTheTemplate() {
        // Owner pinned, repository in the template: bounded by the owner.
        #expect(codes(rule(.github, condition: #"claims.repository_owner == "acme""#)) == [])
        // A template that only uses pinned or non-tenant claims is fine even without a pin on them.
        #expect(codes(rule(.github, condition: #"claims.repository_owner == "acme""#,
                           template: "spiffe://example.org/ci/{workflow}")) == [])
        // A template that uses sub on GitHub is bounded when the owner is pinned.
        #expect(codes(rule(.github, condition: #"claims.repository_owner == "acme""#,
                           template: "spiffe://example.org/ci/{sub}")) == [])
        // Reported once even when a claim appears twice.
        let twice = TrustRuleLinter.lint(
            rule(.github, condition: nil, template: "spiffe://example.org/{repository#1}/{repository#2}"),
            others: [], policy: policy)
        #expect(twice.map(\.code) == ["tenant-not-pinned", "unbounded-mapping"])
    }

    // MARK: audience-reused

    @Test func audienceReused() {
        let mine = rule(.github, condition: #"claims.repository_owner == "acme""#, audiences: ["shared", "mine"])
        let other = rule(.gitlab, condition: #"claims.namespace_path == "x""#, id: "r2", audiences: ["x", "shared"])
        let findings = TrustRuleLinter.lint(mine, others: [other, mine], policy: policy)
        #expect(findings.map(\.code) == ["audience-reused"])
        #expect(findings[0].message.contains(#""shared""#))
        #expect(findings[0].message.contains("rule-r2"))
        #expect(findings[0].message.contains("signet-rule-r1"))
        // The rule itself (same id, e.g. on update) is not "another rule".
        #expect(codes(mine, others: [mine]) == [])
        let unrelated = rule(.gitlab, condition: #"claims.namespace_path == "x""#, id: "r3", audiences: ["Shared"])
        #expect(codes(mine, others: [unrelated]) == [])
    }

    // MARK: ttl-above-policy

    @Test func ttlAbovePolicy() {
        let pinned = #"claims.repository_owner == "acme""#
        #expect(codes(rule(.github, condition: pinned, maxTTL: 3600)) == [])
        let findings = TrustRuleLinter.lint(rule(.github, condition: pinned, maxTTL: 3601), others: [], policy: policy)
        #expect(findings.map(\.code) == ["ttl-above-policy"])
        #expect(findings[0].message.contains("1h"))
        let jwtHeavy = GovernancePolicy(trustDomain: td, maxX509TTL: 60, maxJWTTTL: 7200)
        #expect(TrustRuleLinter.lint(rule(.github, condition: pinned, maxTTL: 7200), others: [], policy: jwtHeavy).isEmpty)
    }

    @Test func findingsAreCodable() throws {
        let finding = TrustRuleLintFinding(code: "ttl-above-policy", message: "m")
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = try encoder.encode(finding)
        #expect(String(decoding: data, as: UTF8.self) == #"{"code":"ttl-above-policy","message":"m"}"#)
        #expect(try JSONDecoder().decode(TrustRuleLintFinding.self, from: data) == finding)
    }

    // MARK: Presets

    @Test func presets() throws {
        #expect(TrustRulePreset.github.defaultIssuer == "https://token.actions.githubusercontent.com")
        #expect(TrustRulePreset.gitlab.defaultIssuer == "https://gitlab.com")
        #expect(TrustRulePreset.kubernetes.defaultIssuer == nil && TrustRulePreset.oidc.defaultIssuer == nil)
        #expect(TrustRulePreset.github.defaultTemplate(trustDomain: td)
            == "spiffe://example.org/ci/github/{repository_owner}/{repository#2}")
        #expect(TrustRulePreset.gitlab.defaultTemplate(trustDomain: td)
            == "spiffe://example.org/ci/gitlab/{namespace_path}/{project_path#2}")
        #expect(TrustRulePreset.kubernetes.defaultTemplate(trustDomain: td)
            == "spiffe://example.org/k8s/ns/{kubernetes.io.namespace}/sa/{kubernetes.io.serviceaccount.name}")
        #expect(TrustRulePreset.oidc.defaultTemplate(trustDomain: td) == nil)
        for preset in TrustRulePreset.allCases {
            if let template = preset.defaultTemplate(trustDomain: td) {
                _ = try ClaimTemplate(template, trustDomain: td)
            }
            _ = try ConditionExpression(preset.exampleCondition)
        }
        #expect(TrustRulePreset.allCases.map(\.rawValue) == ["github", "gitlab", "kubernetes", "oidc"])
        #expect(TrustRulePreset.kubernetes.tenantClaims == ["kubernetes.io.namespace"])
        #expect(TrustRulePreset.oidc.tenantClaims.isEmpty)
    }

    @Test func gitlabPresetRendersGroupAndProject() throws {
        let template = try ClaimTemplate(TrustRulePreset.gitlab.defaultTemplate(trustDomain: td)!, trustDomain: td)
        let id = try template.render(claims: ["namespace_path": .string("acme"), "project_path": .string("acme/web")])
        #expect(id.path == "/ci/gitlab/acme/web")
        #expect(throws: ClaimTemplateError.self) {
            try template.render(claims: ["namespace_path": .string("acme/sub"), "project_path": .string("acme/sub/web")])
        }
    }
}
