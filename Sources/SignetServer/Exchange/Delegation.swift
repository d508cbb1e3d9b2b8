import Foundation
import SignetCore

/// Delegation (RFC 8693 §4.1 `act`, §4.4 `may_act`): who may act for a subject, and the `act`
/// chain an issued token carries.
///
/// An actor is granted only when the subject token's `may_act` names it, or the trust rule
/// behind the subject (the rule that mapped the external token, or the rule a Signet-issued
/// token names in `signet_rule`) lists it in `allowedActors`. The chain is nested, newest actor
/// outermost, and bounded by `[exchange] max_delegation_depth`.
enum Delegation {
    /// Longest `may_act` pattern compared (the SPIFFE ID limit).
    static let maxPatternLength = 2048

    /// The `act` claim of the issued token: `{"sub": actor, "act": previous}` with an actor, the
    /// subject's own `act` unchanged without one (a delegated token is never laundered into a
    /// direct one), nil when there is no delegation at all.
    static func issuedAct(subject: ResolvedToken, actor: SPIFFEID?, maxDepth: Int) throws(OAuthError) -> JSONValue? {
        let previous = subject.claims["act"]
        if let previous { try validate(previous) }
        guard let actor else { return previous }
        let mayAct = mayActAllows(subject.claims["may_act"], actor: actor)
        let ruleAllows = subject.rule?.allowsActor(actor) ?? false
        guard mayAct || ruleAllows else {
            var why = "neither the subject token's may_act nor "
            why += subject.rule.map { "trust rule \($0.name)'s allowed_actors" } ?? "a trust rule"
            throw OAuthError.invalidGrant(
                "the actor is not allowed to act for this subject",
                reason: "actor \(actor) may not act for \(subject.spiffeID): \(why) allows it")
        }
        var act: [String: JSONValue] = ["sub": .string(actor.description)]
        if let previous { act["act"] = previous }
        let value = JSONValue.object(act)
        let length = depth(value)
        guard length <= maxDepth else {
            throw OAuthError.invalidRequest(
                "delegation chain too long: at most \(maxDepth) actors",
                reason: "delegation chain would have \(length) actors; [exchange] max_delegation_depth is \(maxDepth)")
        }
        return value
    }

    /// True when `may_act` (`{"sub": ID}` or an array of such; `sub` may be a glob, with the same
    /// syntax as a rule's allowed actors) names `actor`.
    /// An entry with members other than `sub` (such as `iss`) is not understood and matches nothing.
    static func mayActAllows(_ mayAct: JSONValue?, actor: SPIFFEID) -> Bool {
        let entries: [JSONValue]
        switch mayAct {
        case .object?: entries = [mayAct!]
        case .array(let list)?: entries = list
        default: return false
        }
        let id = actor.description
        return entries.contains { entry in
            guard case .object(let members) = entry, members.count == 1, let pattern = members["sub"]?.stringValue
            else { return false }
            return pattern.utf8.count <= maxPatternLength && GlobPattern(pattern).matches(id)
        }
    }

    /// Number of actors in a chain (`act` nesting levels).
    static func depth(_ act: JSONValue?) -> Int {
        var count = 0
        var current = act
        while case .object(let members)? = current {
            count += 1
            current = members["act"]
        }
        return count
    }

    /// Actor IDs, outermost (most recent) first.
    static func chain(_ act: JSONValue?) -> [String] {
        var out: [String] = []
        var current = act
        while case .object(let members)? = current {
            out.append(members["sub"]?.stringValue ?? "?")
            current = members["act"]
        }
        return out
    }

    /// A chain must be objects with a string `sub` all the way down.
    private static func validate(_ act: JSONValue) throws(OAuthError) {
        var current: JSONValue? = act
        while let value = current {
            guard case .object(let members) = value, members["sub"]?.stringValue != nil else {
                throw OAuthError.invalidGrant(
                    "subject token has a malformed 'act' claim",
                    reason: "subject token act claim is not a chain of objects with a string sub")
            }
            current = members["act"]
        }
    }
}
