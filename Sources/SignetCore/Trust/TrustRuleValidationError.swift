/// Every structural problem of a trust rule, each phrased as what to change.
///
/// Validation problems are never accepted with `--accept-risk` (unlike lint
/// findings): a rule with an unparsable condition or a foreign trust domain
/// cannot work at all.
public struct TrustRuleValidationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// One sentence per problem, in the order of the rule's fields.
    public let problems: [String]

    public init(problems: [String]) {
        self.problems = problems
    }

    /// All problems joined with "; ".
    public var message: String { problems.joined(separator: "; ") }

    public var description: String { "invalid trust rule: \(message)" }
}
