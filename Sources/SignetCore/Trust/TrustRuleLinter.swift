/// One objection the linter raises against a trust rule. The server refuses the
/// rule unless the creator accepts the risk with a reason, which is then stored.
public struct TrustRuleLintFinding: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Stable identifier: `tenant-not-pinned`, `unbounded-mapping`, `audience-reused`, `ttl-above-policy`.
    public let code: String
    /// What is wrong and what to do about it.
    public let message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}

/// Finds trust rules that are valid but dangerous: rules that let every GitHub
/// organisation, GitLab group or Kubernetes namespace in, mappings whose tenant
/// part is unconstrained, audiences shared between rules (a token minted for one
/// would satisfy the other) and TTLs above policy.
///
/// Linting is static: it reads the condition's structure (``ConditionExpression/pinnedClaims``),
/// never evaluates it, so it cannot be fooled by claims and costs nothing per token.
public enum TrustRuleLinter {
    public static let tenantNotPinned = "tenant-not-pinned"
    public static let unboundedMapping = "unbounded-mapping"
    public static let audienceReused = "audience-reused"
    public static let ttlAbovePolicy = "ttl-above-policy"

    /// Claims whose value differs per tenant (or per workload across tenants); mapping one into
    /// the SPIFFE ID without constraining it lets any tenant mint an ID of its own choosing.
    static let tenantVaryingClaims: Set<String> = [
        "repository", "project_path", "namespace", "kubernetes.io.namespace", "sub",
    ]

    /// Findings for `rule`, in a stable order. `others` may include `rule` itself (same id); it is skipped.
    /// A rule whose condition or template does not parse yields no tenant findings: ``TrustRule/validate(trustDomain:)``
    /// reports those.
    public static func lint(_ rule: TrustRule, others: [TrustRule], policy: GovernancePolicy) -> [TrustRuleLintFinding] {
        var findings: [TrustRuleLintFinding] = []
        let preset = TrustRulePreset.of(rule)
        let expression = rule.condition.flatMap { try? ConditionExpression($0) }
        let pinned = expression?.pinnedClaims ?? []
        let acceptRisk = "or pass --accept-risk \"reason\" if this is intended"

        switch preset {
        case .oidc:
            if expression == nil || pinned.isEmpty {
                findings.append(TrustRuleLintFinding(
                    code: tenantNotPinned,
                    message: "the condition does not pin any claim to a literal, so every token from \(rule.issuer) "
                        + "with an accepted audience matches; add a condition such as \(preset.exampleCondition) "
                        + "(or `claims.X in [\"a\", \"b\"]`) \(acceptRisk)"))
            }
        default:
            if pinned.isDisjoint(with: preset.tenantClaims) {
                let names = preset.tenantClaims.joined(separator: ", ")
                findings.append(TrustRuleLintFinding(
                    code: tenantNotPinned,
                    message: "a \(preset.rawValue) rule must pin the tenant (one of \(names)), otherwise every "
                        + "\(tenantNoun(preset)) using \(rule.issuer) can obtain credentials; add a condition such as "
                        + "\(preset.exampleCondition) \(acceptRisk)"))
            }
        }

        if let template = try? ClaimTemplate(rule.subjectTemplate, trustDomain: policy.trustDomain) {
            var reported: Set<String> = []
            for placeholder in template.placeholders {
                let claim = placeholder.dotted
                guard tenantVaryingClaims.contains(claim), !reported.contains(claim),
                    !isConstrained(claim, pinned: pinned, preset: preset)
                else { continue }
                reported.insert(claim)
                findings.append(TrustRuleLintFinding(
                    code: unboundedMapping,
                    message: "the template maps {\(claim)} into the SPIFFE ID but the condition does not constrain "
                        + "claims.\(claim), so any value (any \(tenantNoun(preset)) of \(rule.issuer)) gets an ID; "
                        + "add a condition such as \(example(for: claim, preset: preset)) \(acceptRisk)"))
            }
        }

        var reusedAudiences: Set<String> = []
        for other in others where other.id != rule.id {
            for audience in rule.audiences where !reusedAudiences.contains(audience)
                && other.audiences.contains(where: { $0.utf8.elementsEqual(audience.utf8) })
            {
                reusedAudiences.insert(audience)
                findings.append(TrustRuleLintFinding(
                    code: audienceReused,
                    message: "audience \(TrustRule.quote(audience)) is already accepted by rule '\(other.name)', so a "
                        + "token minted for one rule also satisfies the other; use an audience unique to this rule "
                        + "(for example \"signet-\(rule.name)\") \(acceptRisk)"))
            }
        }

        let ceiling = max(policy.maxX509TTL, policy.maxJWTTTL)
        if rule.maxTTL > ceiling {
            findings.append(TrustRuleLintFinding(
                code: ttlAbovePolicy,
                message: "max TTL \(Lifetime.format(rule.maxTTL)) exceeds the policy maximum "
                    + "\(Lifetime.format(ceiling)) (credentials are capped at the policy anyway); lower it to "
                    + "\(Lifetime.format(ceiling)) or less \(acceptRisk)"))
        }
        return findings
    }

    /// A tenant-varying claim is constrained when the condition pins it, or pins the tenant
    /// that contains it (a GitHub `repository` is `owner/name`, bounded by `repository_owner`).
    static func isConstrained(_ claim: String, pinned: Set<String>, preset: TrustRulePreset) -> Bool {
        if pinned.contains(claim) { return true }
        switch claim {
        case "repository":
            return !pinned.isDisjoint(with: ["repository_owner", "repository_owner_id"])
        case "project_path":
            return !pinned.isDisjoint(with: ["namespace_path", "namespace_id"])
        case "sub":
            return preset != .oidc && !pinned.isDisjoint(with: preset.tenantClaims)
        default:
            return false
        }
    }

    private static func tenantNoun(_ preset: TrustRulePreset) -> String {
        switch preset {
        case .github: "GitHub repository of any organisation"
        case .gitlab: "GitLab project of any group"
        case .kubernetes: "service account in any namespace"
        case .oidc: "subject"
        }
    }

    private static func example(for claim: String, preset: TrustRulePreset) -> String {
        switch claim {
        case "repository": #"claims.repository_owner == "your-org""#
        case "project_path": #"claims.namespace_path == "your-group""#
        case "namespace", "kubernetes.io.namespace": #"claims.kubernetes.io.namespace in ["ns-a", "ns-b"]"#
        default: "claims.\(claim) == \"expected-value\""
        }
    }
}
