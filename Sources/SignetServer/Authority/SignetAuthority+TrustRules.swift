import Foundation
import SignetCore
import SignetPKI
import SignetStore

/// What an admin asks for when creating or replacing a trust rule (`POST`/`PUT /v1/trust-rules`),
/// before a preset fills the gaps, before validation and before linting.
public struct TrustRuleSpec: Sendable, Hashable {
    public var name: String
    /// `github`, `gitlab`, `kubernetes` or `oidc`; fills `issuer` and `subjectTemplate` when they are absent.
    public var preset: String?
    public var issuer: String?
    /// Pinned JWKS text; nil means OIDC discovery.
    public var jwks: String?
    public var audiences: [String]
    public var subjectTemplate: String?
    public var condition: String?
    /// Seconds; nil means the server's default JWT-SVID TTL.
    public var maxTTL: Int?
    public var owner: String
    public var purpose: String
    public var allowedActors: [String]
    /// Why the lint findings are acceptable; nil when the rule must pass linting as it is.
    public var acceptRisk: String?

    public init(
        name: String, preset: String? = nil, issuer: String? = nil, jwks: String? = nil, audiences: [String],
        subjectTemplate: String? = nil, condition: String? = nil, maxTTL: Int? = nil, owner: String, purpose: String,
        allowedActors: [String] = [], acceptRisk: String? = nil
    ) {
        self.name = name
        self.preset = preset
        self.issuer = issuer
        self.jwks = jwks
        self.audiences = audiences
        self.subjectTemplate = subjectTemplate
        self.condition = condition
        self.maxTTL = maxTTL
        self.owner = owner
        self.purpose = purpose
        self.allowedActors = allowedActors
        self.acceptRisk = acceptRisk
    }
}

/// A stored rule and every lint finding it has (accepted ones included), as the API returns it.
public struct TrustRuleChange: Sendable {
    public let rule: TrustRule
    public let lint: [TrustRuleLintFinding]
}

/// The linter objected and no risk was accepted: nothing was stored. The routes turn this into
/// `422 {"error":"lint_failed","message":..,"findings":[..]}` so that a client can show each finding.
public struct TrustRuleLintRefusal: Error, Sendable, CustomStringConvertible {
    public let ruleName: String
    public let findings: [TrustRuleLintFinding]

    public var description: String {
        "trust rule '\(ruleName)' was not stored: "
            + findings.map { "\($0.code): \($0.message)" }.joined(separator: "; ")
            + ". Fix the rule, or accept the risk with accept_risk (CLI: --accept-risk \"why this is acceptable\")"
    }
}

/// Trust rule management. A rule is completed from its preset, validated (always refused when
/// invalid: 400, nothing stored, no event), linted against the other rules and the governance
/// policy (refused unless the risk is accepted: 422, denied event), and stored with its audit
/// event in one transaction. The exchange is told after every change so it never evaluates a
/// rule that was deleted or replaced.
extension SignetAuthority {
    /// `/v1/trust-rules/test` is a route of its own, so no rule may be called `test`.
    static let reservedTrustRuleName = "test"

    public func createTrustRule(_ spec: TrustRuleSpec, actor: String) async throws -> TrustRuleChange {
        let now = Date()
        var rule = try completedRule(spec, id: UUID().uuidString.lowercased(), actor: actor, now: now)
        if try await store.trustRule(name: rule.name) != nil {
            throw APIError.conflict(
                "a trust rule named \(rule.name) exists; change it with `signet trust update \(rule.name)` or choose another name")
        }
        let others = try await store.listTrustRules()
        let findings = TrustRuleLinter.lint(rule, others: others, policy: policy)
        rule.acceptedRisk = try await acceptedRisk(
            for: findings, spec: spec, previous: nil, rule: rule, actor: actor, now: now, action: "trust.rule.create")
        let event = AuditEvent(
            actor: actor, action: "trust.rule.create", subject: rule.name, outcome: .success, details: eventDetails(rule))
        try await store.createTrustRule(rule, event: event)
        await trustRulesDidChange()
        return TrustRuleChange(rule: rule, lint: findings)
    }

    /// Full replacement of the rule named (or with id) `idOrName`: re-linted, revision + 1.
    /// Findings already accepted on the current revision stay accepted (with their original reason,
    /// who and when) unless new ones appear; a new finding needs a new `accept_risk`.
    public func updateTrustRule(idOrName: String, _ spec: TrustRuleSpec, actor: String) async throws -> TrustRuleChange {
        let existing = try await trustRule(idOrName: idOrName)
        let now = Date()
        var rule = try completedRule(spec, id: existing.id, actor: existing.createdBy, now: existing.createdAt)
        rule.updatedAt = now
        rule.revision = existing.revision + 1
        if rule.name != existing.name, try await store.trustRule(name: rule.name) != nil {
            throw APIError.conflict("another trust rule is named \(rule.name); choose another name")
        }
        let others = try await store.listTrustRules().filter { $0.id != existing.id }
        let findings = TrustRuleLinter.lint(rule, others: others, policy: policy)
        rule.acceptedRisk = try await acceptedRisk(
            for: findings, spec: spec, previous: existing.acceptedRisk, rule: rule, actor: actor, now: now,
            action: "trust.rule.update")
        var details = eventDetails(rule)
        details["revision"] = "\(rule.revision)"
        if rule.name != existing.name { details["previous_name"] = existing.name }
        let event = AuditEvent(
            actor: actor, action: "trust.rule.update", subject: rule.name, outcome: .success, details: details)
        try await store.updateTrustRule(rule, expectedRevision: existing.revision, event: event)
        await trustRulesDidChange()
        return TrustRuleChange(rule: rule, lint: findings)
    }

    public func deleteTrustRule(idOrName: String, actor: String) async throws -> TrustRule {
        let existing = try await trustRule(idOrName: idOrName)
        let event = AuditEvent(
            actor: actor, action: "trust.rule.delete", subject: existing.name, outcome: .success,
            details: ["id": existing.id, "name": existing.name, "issuer": existing.issuer, "revision": "\(existing.revision)"])
        let deleted = try await store.deleteTrustRule(id: existing.id, event: event)
        await trustRulesDidChange()
        return deleted
    }

    /// A rule by id, else by name (names are what people type; ids are what scripts keep).
    public func trustRule(idOrName: String) async throws -> TrustRule {
        if let rule = try await store.trustRule(id: idOrName) { return rule }
        if let rule = try await store.trustRule(name: idOrName) { return rule }
        throw APIError.notFound("no trust rule named \(idOrName); list rules with `signet trust list`")
    }

    /// The rule the spec describes, completed from its preset and validated. Throws 400 and touches nothing.
    func completedRule(_ spec: TrustRuleSpec, id: String, actor: String, now: Date) throws -> TrustRule {
        var preset: TrustRulePreset?
        if let name = spec.preset {
            guard let known = TrustRulePreset(rawValue: name) else {
                throw APIError.badRequest(
                    "unknown preset '\(name)': use \(TrustRulePreset.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            preset = known
        }
        guard let issuer = nonEmpty(spec.issuer) ?? preset?.defaultIssuer else {
            throw APIError.badRequest(
                "issuer is required\(preset.map { " for preset \($0.rawValue)" } ?? ""): the exact 'iss' of accepted tokens, an https:// URL"
                    + (preset == .kubernetes ? " (the cluster's service-account issuer: kubectl get --raw /.well-known/openid-configuration)" : ""))
        }
        guard let template = nonEmpty(spec.subjectTemplate) ?? preset?.defaultTemplate(trustDomain: trustDomain) else {
            throw APIError.badRequest(
                "subject_template is required\(preset.map { " for preset \($0.rawValue)" } ?? ""), e.g. spiffe://\(trustDomain)/ci/{sub}")
        }
        if let reason = spec.acceptRisk, nonEmpty(reason) == nil {
            throw APIError.badRequest("accept_risk needs a reason: say why the lint findings are acceptable")
        }
        let rule = TrustRule(
            id: id, name: spec.name, issuer: issuer, keySource: spec.jwks.map { .pinned(jwks: $0) } ?? .discovery,
            audiences: spec.audiences, subjectTemplate: template, condition: nonEmpty(spec.condition),
            maxTTL: spec.maxTTL ?? configuration.jwtDefaultTTL, owner: spec.owner.trimmingCharacters(in: .whitespaces),
            purpose: spec.purpose.trimmingCharacters(in: .whitespaces), preset: preset?.rawValue,
            allowedActors: spec.allowedActors, acceptedRisk: nil, createdBy: actor, createdAt: now)
        do {
            try rule.validate(trustDomain: trustDomain)
        } catch {
            throw APIError.badRequest(error.description)
        }
        if rule.name == Self.reservedTrustRuleName {
            throw APIError.badRequest("the name '\(rule.name)' is reserved (POST /v1/trust-rules/test explains tokens); choose another")
        }
        // The exchange parses the key set strictly; refuse here what it could never use.
        if let jwks = spec.jwks { _ = try PinnedJWKS.parse(jwks, field: "jwks") }
        return rule
    }

    /// No findings: nothing to accept. Findings and a reason: accepted by `actor` now. Findings all
    /// accepted on the previous revision: still accepted. Otherwise refused, with a denied event.
    private func acceptedRisk(
        for findings: [TrustRuleLintFinding], spec: TrustRuleSpec, previous: TrustRule.AcceptedRisk?, rule: TrustRule,
        actor: String, now: Date, action: String
    ) async throws -> TrustRule.AcceptedRisk? {
        guard !findings.isEmpty else { return nil }
        var codes: [String] = []
        for finding in findings where !codes.contains(finding.code) { codes.append(finding.code) }
        if let reason = nonEmpty(spec.acceptRisk) {
            return TrustRule.AcceptedRisk(reason: reason, findings: codes, acceptedBy: actor, acceptedAt: now)
        }
        if let previous, Set(codes).isSubset(of: previous.findings) {
            return TrustRule.AcceptedRisk(
                reason: previous.reason, findings: codes, acceptedBy: previous.acceptedBy, acceptedAt: previous.acceptedAt)
        }
        let refusal = TrustRuleLintRefusal(ruleName: rule.name, findings: findings)
        let event = AuditEvent(
            actor: actor, action: action, subject: rule.name, outcome: .denied,
            reason: "lint: " + codes.joined(separator: ", "), details: ["name": rule.name, "issuer": rule.issuer])
        do {
            try await store.appendEvent(event)
        } catch {
            logger.error("cannot record trust rule refusal", metadata: ["error": "\(error)"])
        }
        throw refusal
    }

    /// What an auditor needs to review the change later, without the pinned key material.
    private func eventDetails(_ rule: TrustRule) -> [String: String] {
        var details = [
            "id": rule.id, "name": rule.name, "issuer": rule.issuer, "template": rule.subjectTemplate,
            "audiences": rule.audiences.joined(separator: ","), "max_ttl": "\(rule.maxTTL)", "owner": rule.owner,
        ]
        switch rule.keySource {
        case .discovery: details["key_source"] = "discovery"
        case .pinned(let jwks):
            let kids = ((try? PinnedJWKS.parse(jwks, field: "jwks")) ?? []).map(\.kid)
            details["key_source"] = "jwks"
            details["kids"] = kids.joined(separator: ",")
        }
        if let condition = rule.condition { details["condition"] = condition }
        if let preset = rule.preset { details["preset"] = preset }
        if !rule.allowedActors.isEmpty { details["allowed_actors"] = rule.allowedActors.joined(separator: ",") }
        if let risk = rule.acceptedRisk {
            details["accepted_findings"] = risk.findings.joined(separator: ",")
            details["accepted_reason"] = risk.reason
        }
        return details
    }

    /// Tells the token exchange that the rule set changed, so cached rules are reloaded.
    private func trustRulesDidChange() async {
        await exchange.trustRulesChanged()
    }
}

private func nonEmpty(_ s: String?) -> String? {
    guard let s else { return nil }
    let trimmed = s.trimmingCharacters(in: .whitespacesAndNewlines)
    return trimmed.isEmpty ? nil : trimmed
}
