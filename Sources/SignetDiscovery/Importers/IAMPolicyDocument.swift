import Foundation
import SignetCore

/// The parts of an IAM policy document that matter to an inventory: which statements allow
/// wildcard actions account-wide, and (for a role's trust policy) who may assume it.
///
/// `get-account-authorization-details` hands documents over either as JSON objects (the CLI
/// decodes them) or as RFC 3986 URL-encoded JSON strings (the raw API); both are accepted.
/// `Statement`, `Action`, `Resource` and `Principal` values may each be a single value or a list.
struct IAMPolicyDocument {
    struct Statement {
        var allows: Bool
        var actions: [String]
        var notActions: [String]
        var resources: [String]
        var hasNotResource: Bool
        var principals: [String]

        /// `Resource: "*"`, or a `NotResource` (everything but some resources).
        var appliesToEveryResource: Bool { resources.contains("*") || hasNotResource }
    }

    var statements: [Statement] = []

    init(_ node: JSONNode) throws(ImportError) {
        let document = try Self.decode(node)
        let statementNodes: [JSONNode]
        switch document.value.objectValue?["Statement"] {
        case .object?: statementNodes = document.child("Statement").map { [$0] } ?? []
        case .array?: statementNodes = try document.array("Statement")
        case nil, .null?: statementNodes = []
        default:
            throw document.error(
                "Statement", "neither an object nor an array", expected: "a statement or a list of statements")
        }
        for statement in statementNodes {
            _ = try statement.requireObject("an IAM policy statement object")
            let effect = try statement.string("Effect") ?? ""
            guard effect == "Allow" || effect == "Deny" else {
                throw statement.error("Effect", "invalid effect \(ImportError.quote(effect))", expected: "Allow or Deny")
            }
            statements.append(Statement(
                allows: effect == "Allow", actions: try statement.strings("Action"),
                notActions: try statement.strings("NotAction"), resources: try statement.strings("Resource"),
                hasNotResource: statement.child("NotResource") != nil, principals: try Self.principals(statement)))
        }
    }

    /// The document as a JSON node: the object itself, or the URL-encoded string decoded and parsed.
    private static func decode(_ node: JSONNode) throws(ImportError) -> JSONNode {
        switch node.value {
        case .object: return node
        case .string(let text):
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            let json = trimmed.hasPrefix("{") ? trimmed : trimmed.removingPercentEncoding
            let expected = "a policy document as a JSON object or a URL-encoded JSON string"
            guard let json, let value = try? JSONValue.parse(Array(json.utf8)), value.objectValue != nil else {
                throw ImportError(
                    record: node.record, problem: "the policy document does not decode to a JSON object",
                    expected: expected)
            }
            return JSONNode(value, path: node.path, label: node.label)
        default:
            throw ImportError(record: node.record, problem: "the policy document is neither an object nor a string",
                              expected: "a policy document as a JSON object or a URL-encoded JSON string")
        }
    }

    /// `"Principal": "*"` or `{"AWS": ..., "Service": ..., "Federated": ..., "CanonicalUser": ...}`.
    private static func principals(_ statement: JSONNode) throws(ImportError) -> [String] {
        guard let principal = statement.child("Principal") else { return [] }
        if let text = principal.value.stringValue { return [text] }
        guard let object = principal.object else {
            throw statement.error(
                "Principal", "neither a string nor an object", expected: "\"*\" or an object of principal lists")
        }
        var result: [String] = []
        for key in object.keys.sorted() { result += try principal.strings(key) }
        return result
    }

    /// Actions allowed on every resource that are themselves wildcards: `*` and `<service>:*`.
    /// An `Allow` with `NotAction` on every resource grants everything but the listed actions and
    /// is reported as `* except a,b`. Statements scoped to specific resources are not listed, and
    /// `Deny` statements are not subtracted: the result is what the principal may be able to do,
    /// which is the over-privilege question.
    var wildcardGrants: [String] {
        var grants: [String] = []
        for statement in statements where statement.allows && statement.appliesToEveryResource {
            for action in statement.actions where action == "*" || action.hasSuffix(":*") { grants.append(action) }
            if !statement.notActions.isEmpty { grants.append("* except " + statement.notActions.joined(separator: ",")) }
        }
        return grants
    }

    /// Principals named by `Allow` statements (a role's trust policy: who may assume it).
    var allowedPrincipals: [String] {
        statements.filter(\.allows).flatMap(\.principals)
    }
}
