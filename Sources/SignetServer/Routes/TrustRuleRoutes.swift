import Foundation
import Hummingbird
import SignetCore
import SignetStore

/// `/v1/trust-rules`: create, list, show, replace, delete and test the rules that let external
/// OIDC tokens be exchanged for Signet credentials.
struct TrustRuleRoutes {
    let authority: SignetAuthority

    func register(on group: RouterGroup<SignetRequestContext>) {
        group.post("trust-rules") { request, context in
            let body = try await request.decode(as: TrustRuleInput.self, context: context)
            do {
                let change = try await authority.createTrustRule(try body.spec(), actor: context.actor)
                return try APIJSON.response(TrustRuleWithLint(change), status: .created)
            } catch let refusal as TrustRuleLintRefusal {
                return try Self.lintFailure(refusal)
            }
        }
        group.get("trust-rules") { _, _ in
            try APIJSON.response(TrustRuleList(rules: try await authority.store.listTrustRules()))
        }
        group.post("trust-rules/test") { request, context in
            let body = try await request.decode(as: TrustTestInput.self, context: context)
            guard let token = body.token?.trimmingCharacters(in: .whitespacesAndNewlines), !token.isEmpty else {
                throw APIError.badRequest("token is required: the external token (compact JWT) to explain")
            }
            return try APIJSON.response(await authority.explainSubjectToken(token))
        }
        group.get("trust-rules/{rule}") { _, context in
            let rule = try context.parameters.require("rule")
            return try APIJSON.response(try await authority.trustRule(idOrName: rule))
        }
        group.put("trust-rules/{rule}") { request, context in
            let rule = try context.parameters.require("rule")
            let body = try await request.decode(as: TrustRuleInput.self, context: context)
            do {
                let change = try await authority.updateTrustRule(idOrName: rule, try body.spec(), actor: context.actor)
                return try APIJSON.response(TrustRuleWithLint(change))
            } catch let refusal as TrustRuleLintRefusal {
                return try Self.lintFailure(refusal)
            }
        }
        group.delete("trust-rules/{rule}") { _, context in
            let rule = try context.parameters.require("rule")
            return try APIJSON.response(try await authority.deleteTrustRule(idOrName: rule, actor: context.actor))
        }
    }

    /// 422 with the findings next to the usual error fields, so a client can list them one by one.
    static func lintFailure(_ refusal: TrustRuleLintRefusal) throws -> Response {
        try APIJSON.response(
            LintFailureBody(error: "lint_failed", message: refusal.description, findings: refusal.findings),
            status: .unprocessableContent)
    }
}

struct TrustRuleList: Encodable {
    let rules: [TrustRule]
}

struct LintFailureBody: Encodable {
    let error: String
    let message: String
    let findings: [TrustRuleLintFinding]
}

/// A rule in its Codable form with `"lint": [findings]` added at the same level.
struct TrustRuleWithLint: Encodable {
    let rule: TrustRule
    let lint: [TrustRuleLintFinding]

    init(_ change: TrustRuleChange) {
        rule = change.rule
        lint = change.lint
    }

    enum CodingKeys: String, CodingKey { case lint }

    func encode(to encoder: any Encoder) throws {
        try rule.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(lint, forKey: .lint)
    }
}

struct TrustTestInput: Decodable {
    var token: String?
}

/// The JSON body of trust rule create and replace.
struct TrustRuleInput: Decodable {
    var name: String?
    var preset: String?
    var issuer: String?
    var jwks: String?
    var audiences: [String]?
    var subjectTemplate: String?
    var condition: String?
    var maxTTL: FlexibleDuration?
    var owner: String?
    var purpose: String?
    var allowedActors: [String]?
    var acceptRisk: String?

    enum CodingKeys: String, CodingKey {
        case name, preset, issuer, jwks, audiences
        case subjectTemplate = "subject_template"
        case condition
        case maxTTL = "max_ttl"
        case owner, purpose
        case allowedActors = "allowed_actors"
        case acceptRisk = "accept_risk"
    }

    func spec() throws -> TrustRuleSpec {
        guard let name else { throw APIError.badRequest("name is required, e.g. github-acme-deploy") }
        return TrustRuleSpec(
            name: name, preset: preset, issuer: issuer, jwks: jwks, audiences: audiences ?? [],
            subjectTemplate: subjectTemplate, condition: condition, maxTTL: maxTTL?.seconds, owner: owner ?? "",
            purpose: purpose ?? "", allowedActors: allowedActors ?? [], acceptRisk: acceptRisk)
    }
}
