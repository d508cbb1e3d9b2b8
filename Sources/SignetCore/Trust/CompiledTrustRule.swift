/// A trust rule with its condition and template parsed once, for the token endpoint's
/// hot path: ``TrustRule/evaluate(claims:trustDomain:)`` parses both on every call,
/// this parses them when the rule set is loaded. Parse failures are kept and reported
/// as reasons on every evaluation (validation normally prevents storing such rules).
public struct CompiledTrustRule: Sendable {
    public let rule: TrustRule
    public let trustDomain: TrustDomain
    private let condition: Result<ConditionExpression, ConditionError>?
    private let template: Result<ClaimTemplate, ClaimTemplateError>

    public init(_ rule: TrustRule, trustDomain: TrustDomain) {
        self.rule = rule
        self.trustDomain = trustDomain
        self.condition = rule.condition.map { source in Result { () throws(ConditionError) in try ConditionExpression(source) } }
        self.template = Result { () throws(ClaimTemplateError) in try ClaimTemplate(rule.subjectTemplate, trustDomain: trustDomain) }
    }

    /// Same contract as ``TrustRule/evaluate(claims:trustDomain:)``: `iss` byte-equal to the
    /// issuer, one shared audience, condition true, template renders; every failure is listed.
    public func evaluate(claims: [String: JSONValue]) -> TrustRuleEvaluation {
        var reasons: [String] = []
        switch claims["iss"] {
        case .string(let iss)? where iss.utf8.elementsEqual(rule.issuer.utf8):
            break
        case .string(let iss)?:
            reasons.append("issuer \(TrustRule.quote(iss)) is not the rule's issuer \(TrustRule.quote(rule.issuer))")
        default:
            reasons.append("token has no string 'iss' claim")
        }

        let tokenAudiences: [String]
        switch claims["aud"] {
        case .string(let aud)?: tokenAudiences = [aud]
        case .array(let values)?: tokenAudiences = values.compactMap(\.stringValue)
        default: tokenAudiences = []
        }
        if tokenAudiences.isEmpty {
            reasons.append("token has no 'aud' claim; the rule accepts \(TrustRule.list(rule.audiences))")
        } else if !tokenAudiences.contains(where: { aud in rule.audiences.contains { $0.utf8.elementsEqual(aud.utf8) } }) {
            reasons.append(
                "audience \(TrustRule.list(tokenAudiences)) includes none of the rule's audiences \(TrustRule.list(rule.audiences))")
        }

        switch condition {
        case nil:
            break
        case .success(let expression)?:
            do {
                if !(try expression.evaluate(claims: claims)) {
                    reasons.append("condition is false: \(expression.source)")
                }
            } catch {
                reasons.append("condition failed: \(error.description)")
            }
        case .failure(let error)?:
            reasons.append("condition failed: \(error.description)")
        }

        var rendered: SPIFFEID?
        do {
            rendered = try template.get().render(claims: claims)
        } catch {
            reasons.append("mapping failed: \(error.message)")
        }
        return TrustRuleEvaluation(
            ruleName: rule.name, ruleID: rule.id, spiffeID: reasons.isEmpty ? rendered : nil, reasons: reasons)
    }
}
