/// Starting points for the issuers Signet users federate with most. A preset fills
/// in the issuer and a mapping template when the rule leaves them out, and tells
/// the linter which claims identify the tenant (the GitHub organisation, the GitLab
/// group, the Kubernetes namespace) so it can refuse rules that let every tenant in.
public enum TrustRulePreset: String, Sendable, CaseIterable, Codable {
    case github, gitlab, kubernetes, oidc

    /// The issuer of the public service; nil where every installation has its own
    /// (Kubernetes clusters, generic OIDC providers).
    public var defaultIssuer: String? {
        switch self {
        case .github: "https://token.actions.githubusercontent.com"
        case .gitlab: "https://gitlab.com"
        case .kubernetes, .oidc: nil
        }
    }

    /// A mapping template for `trustDomain`; nil for generic OIDC, where no claim layout can be assumed.
    ///
    /// GitLab's `project_path` is `group/project` (possibly `group/sub/project`: then `#2` is
    /// `sub`, and the ID still includes `namespace_path`, which then contains a `/` and is refused;
    /// write a custom template for nested groups).
    public func defaultTemplate(trustDomain: TrustDomain) -> String? {
        let base = "spiffe://\(trustDomain.name)"
        switch self {
        case .github: return "\(base)/ci/github/{repository_owner}/{repository#2}"
        case .gitlab: return "\(base)/ci/gitlab/{namespace_path}/{project_path#2}"
        case .kubernetes: return "\(base)/k8s/ns/{kubernetes.io.namespace}/sa/{kubernetes.io.serviceaccount.name}"
        case .oidc: return nil
        }
    }

    /// Claims that identify the tenant; a rule must pin at least one of them (lint "tenant-not-pinned").
    public var tenantClaims: [String] {
        switch self {
        case .github: ["repository_owner", "repository_owner_id", "repository"]
        case .gitlab: ["namespace_path", "namespace_id", "project_path"]
        case .kubernetes: ["kubernetes.io.namespace"]
        case .oidc: []
        }
    }

    /// An example condition that pins the tenant, quoted in lint messages.
    public var exampleCondition: String {
        switch self {
        case .github: #"claims.repository_owner == "your-org""#
        case .gitlab: #"claims.namespace_path == "your-group""#
        case .kubernetes: #"claims.kubernetes.io.namespace == "your-namespace""#
        case .oidc: #"claims.sub == "the-expected-subject""#
        }
    }

    /// The preset a rule was created from, or the one its issuer implies; generic OIDC otherwise.
    public static func of(_ rule: TrustRule) -> TrustRulePreset {
        if let name = rule.preset, let preset = TrustRulePreset(rawValue: name) { return preset }
        for preset in [TrustRulePreset.github, .gitlab] where preset.defaultIssuer == rule.issuer { return preset }
        return .oidc
    }
}
