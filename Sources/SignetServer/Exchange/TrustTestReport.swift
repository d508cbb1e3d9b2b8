import Foundation
import SignetCore
import SignetPKI

/// What `POST /v1/trust-rules/test` (and `signet trust test`) answers: for a token, whether its
/// signature verifies with its issuer's keys and, rule by rule, whether the rule maps it and
/// why not. Nothing is issued or consumed.
public struct TrustTestReport: Codable, Sendable, Hashable {
    public struct RuleResult: Codable, Sendable, Hashable {
        public let rule: String
        public let matched: Bool
        public let spiffeID: String?
        /// Why the rule does not match (empty when it does).
        public let reasons: [String]

        enum CodingKeys: String, CodingKey {
            case rule, matched
            case spiffeID = "spiffe_id"
            case reasons
        }
    }

    /// The token's (unverified) `iss`, nil when it has none or is not a JWT.
    public let issuer: String?
    /// `valid`, or why the token does not verify (signature, key lookup, expiry, not-before).
    public let signature: String
    /// Every rule with this issuer, in name order.
    public let results: [RuleResult]
    /// A remark when there is nothing to evaluate (no rule has this issuer, the token is not a JWT).
    public let note: String?

    /// True when the token would be exchanged: the signature verifies and the matching rules
    /// agree on exactly one SPIFFE ID.
    public var matched: Bool { signature == "valid" && Set(results.compactMap(\.spiffeID)).count == 1 }

    public init(issuer: String?, signature: String, results: [RuleResult], note: String?) {
        self.issuer = issuer
        self.signature = signature
        self.results = results
        self.note = note
    }
}

extension SignetAuthority {
    /// Explains how the token endpoint would treat `token` as a subject token from an external
    /// issuer: fetches (or reuses) the issuer's keys, verifies, and evaluates every rule for that
    /// issuer. Replay is not checked and nothing is consumed, so a token can be tested and then used.
    public func explainSubjectToken(_ token: String) async -> TrustTestReport {
        let parsed: ExternalJWT
        do {
            parsed = try ExternalJWT(parsing: token)
        } catch {
            return TrustTestReport(issuer: nil, signature: "not a JWT: \(error)", results: [], note: "not a JWT")
        }
        guard let iss = parsed.issuer else {
            return TrustTestReport(
                issuer: nil, signature: "not checked", results: [],
                note: "the token has no 'iss' claim, so no trust rule can apply")
        }
        let rules: ExchangeRules
        do {
            rules = try await exchange.currentRules()
        } catch {
            return TrustTestReport(
                issuer: iss, signature: "not checked", results: [], note: "trust rules could not be loaded: \(error)")
        }
        let evaluation = await evaluateExternal(parsed, issuer: iss, rules: rules)
        if evaluation.results.isEmpty {
            let known = Set(rules.all.map(\.rule.issuer)).sorted()
            return TrustTestReport(
                issuer: iss, signature: "not checked", results: [],
                note: "no trust rule has issuer \(iss)"
                    + (known.isEmpty ? " (there are no trust rules)" : "; rules exist for: \(known.joined(separator: ", "))"))
        }
        var note: String?
        let ids = Set(evaluation.results.compactMap(\.spiffeID))
        if ids.count > 1 {
            note = "ambiguous: rules map this token to \(ids.count) different SPIFFE IDs, so an exchange is refused"
        }
        return TrustTestReport(
            issuer: iss, signature: evaluation.signature,
            results: evaluation.results.map {
                TrustTestReport.RuleResult(
                    rule: $0.rule.name, matched: $0.spiffeID != nil, spiffeID: $0.spiffeID?.description,
                    reasons: $0.reasons)
            },
            note: note)
    }
}
