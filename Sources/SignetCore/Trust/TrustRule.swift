import Foundation

/// An explicit, reviewable rule that lets tokens from one external OIDC issuer
/// (GitHub Actions, GitLab CI, a Kubernetes cluster, any OIDC provider) be
/// exchanged for short-lived Signet credentials.
///
/// A rule says which issuer and audiences it accepts, how the token's claims
/// map to a SPIFFE ID (``subjectTemplate``), under which ``condition`` it
/// applies, for how long the issued credential may live, and who is
/// accountable for it. Nothing is implicit: a token that no rule matches is
/// refused, and the refusal explains which rule failed and why.
public struct TrustRule: Hashable, Sendable, Codable {
    /// Server-assigned identifier.
    public var id: String
    /// Unique, human-chosen name (`github-acme-deploy`), used by the CLI.
    public var name: String
    /// The exact `iss` of accepted tokens (an `https://` URL; compared byte for byte).
    public var issuer: String
    /// Where the issuer's verification keys come from.
    public var keySource: KeySource
    /// `aud` values a subject token must carry (at least one of them).
    public var audiences: [String]
    /// SPIFFE ID template such as `spiffe://example.org/ci/github/{repository_owner}/{repository}`.
    /// Every substituted claim must be a valid path segment (see ``ClaimTemplate``).
    public var subjectTemplate: String
    /// Condition in Signet's expression language (see ``ConditionExpression``); nil means "always".
    public var condition: String?
    /// Upper bound for the lifetime of anything issued under this rule, in seconds.
    public var maxTTL: Int
    public var owner: String
    public var purpose: String
    /// The preset the rule was created from (`github`, `gitlab`, `kubernetes`, `oidc`); drives linting.
    public var preset: String?
    /// SPIFFE ID glob patterns of actors allowed to act on behalf of subjects mapped by this
    /// rule (delegation, RFC 8693 `act`), in addition to what the subject token's `may_act` allows.
    public var allowedActors: [String]
    /// Lint findings the creator accepted, with their reason; nil when the rule passed linting.
    public var acceptedRisk: AcceptedRisk?
    public var createdBy: String
    public var createdAt: Date
    public var updatedAt: Date
    /// Bumped on every update.
    public var revision: Int

    public init(
        id: String = UUID().uuidString.lowercased(), name: String, issuer: String, keySource: KeySource = .discovery,
        audiences: [String], subjectTemplate: String, condition: String? = nil, maxTTL: Int, owner: String,
        purpose: String, preset: String? = nil, allowedActors: [String] = [], acceptedRisk: AcceptedRisk? = nil,
        createdBy: String, createdAt: Date = Date(), updatedAt: Date? = nil, revision: Int = 1
    ) {
        self.id = id
        self.name = name
        self.issuer = issuer
        self.keySource = keySource
        self.audiences = audiences
        self.subjectTemplate = subjectTemplate
        self.condition = condition
        self.maxTTL = maxTTL
        self.owner = owner
        self.purpose = purpose
        self.preset = preset
        self.allowedActors = allowedActors
        self.acceptedRisk = acceptedRisk
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
        self.revision = revision
    }

    /// Where an issuer's signing keys come from.
    public enum KeySource: Hashable, Sendable, Codable {
        /// `{issuer}/.well-known/openid-configuration`, then its `jwks_uri`, over HTTPS.
        case discovery
        /// A JWKS document pinned in the rule, for private issuers without discovery.
        case pinned(jwks: String)

        enum CodingKeys: String, CodingKey { case type, jwks }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            switch try container.decode(String.self, forKey: .type) {
            case "discovery": self = .discovery
            case "jwks": self = .pinned(jwks: try container.decode(String.self, forKey: .jwks))
            case let other:
                throw DecodingError.dataCorruptedError(
                    forKey: .type, in: container, debugDescription: "unknown key source '\(other)' (discovery or jwks)")
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            switch self {
            case .discovery:
                try container.encode("discovery", forKey: .type)
            case .pinned(let jwks):
                try container.encode("jwks", forKey: .type)
                try container.encode(jwks, forKey: .jwks)
            }
        }
    }

    /// A risk a person accepted when the linter objected to a rule.
    public struct AcceptedRisk: Hashable, Sendable, Codable {
        public var reason: String
        /// The lint finding codes that were accepted (e.g. `tenant-not-pinned`).
        public var findings: [String]
        public var acceptedBy: String
        public var acceptedAt: Date

        public init(reason: String, findings: [String], acceptedBy: String, acceptedAt: Date) {
            self.reason = reason
            self.findings = findings
            self.acceptedBy = acceptedBy
            self.acceptedAt = acceptedAt
        }

        enum CodingKeys: String, CodingKey {
            case reason, findings
            case acceptedBy = "accepted_by"
            case acceptedAt = "accepted_at"
        }
    }

    enum CodingKeys: String, CodingKey {
        case id, name, issuer
        case keySource = "key_source"
        case audiences
        case subjectTemplate = "subject_template"
        case condition
        case maxTTL = "max_ttl"
        case owner, purpose, preset
        case allowedActors = "allowed_actors"
        case acceptedRisk = "accepted_risk"
        case createdBy = "created_by"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case revision
    }
}
