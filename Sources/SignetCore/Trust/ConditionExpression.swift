/// A trust rule's condition, written in Signet's small expression language and
/// checked against the claims of an external token.
///
/// The language is a security boundary, so it is deliberately tiny and bounded:
/// claim access (`claims.repository_owner`, `claims["kubernetes.io"].namespace`),
/// literals (`"str"` with JSON escapes, integers, `true`, `false`, `null`,
/// `["a", "b"]`), comparisons `== != < <= > >=`, `&&`, `||`, `!` (short-circuit),
/// parentheses, `x in [..]`, `s.startsWith("p")`, `s.endsWith("p")` and
/// `s matches "glob*?"`. There is no I/O, no regex, no loops, no user-defined
/// functions. Source length, tree size, nesting depth and evaluation steps are all
/// capped, and strings compare byte for byte.
///
/// A missing claim reads as `null`. Operators that need a particular type
/// (`&&` needs booleans, `startsWith` needs strings, `<` needs two numbers or two
/// strings) throw instead of guessing, so a rule fails closed.
public struct ConditionExpression: Sendable, Hashable, CustomStringConvertible {
    /// Bytes of source.
    public static let maxLength = 4096
    public static let maxNodes = 512
    public static let maxDepth = 32
    public static let maxEvaluationSteps = 10_000

    public let source: String
    let root: ConditionNode

    /// Parses `source` and checks every bound. The error carries the byte offset of the problem.
    public init(_ source: String) throws(ConditionError) {
        self.source = source
        self.root = try ConditionParser.parse(source)
    }

    public var description: String { source }

    public static func == (lhs: ConditionExpression, rhs: ConditionExpression) -> Bool {
        lhs.source.utf8.elementsEqual(rhs.source.utf8)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(Array(source.utf8))
    }

    /// True or false for these claims; throws when an operand has the wrong type or the
    /// step budget runs out (both mean "no match" to a trust rule).
    public func evaluate(claims: [String: JSONValue]) throws(ConditionError) -> Bool {
        var evaluator = ConditionEvaluator(claims: claims)
        return try evaluator.boolean(root, role: "a condition")
    }

    /// Claim paths the expression requires to equal a literal (or be `in` a literal list,
    /// or `startsWith` a literal that contains the pinned value) on every path that makes
    /// it true: pins of `&&` operands add up, an `||` pins only what all its branches pin,
    /// and `!` pins nothing. Some pins are implied: `claims.repository.startsWith("acme/")`
    /// also pins `repository_owner`, `claims.sub == "system:serviceaccount:ns:sa"` also pins
    /// `kubernetes.io.namespace`. The linter uses this to decide whether a rule pins its tenant.
    public var pinnedClaims: Set<String> { Self.pins(root) }

    /// Every claim path referenced anywhere, in dotted form.
    public var referencedClaims: Set<String> {
        var result: Set<String> = []
        var pending = [root]
        while let node = pending.popLast() {
            if case .claim(let path) = node.kind { result.insert(path.dotted) }
            pending.append(contentsOf: node.kind.children)
        }
        return result
    }

    // MARK: Pinning analysis

    private static func pins(_ node: ConditionNode) -> Set<String> {
        switch node.kind {
        case .and(let operands):
            return operands.reduce(into: Set<String>()) { $0.formUnion(pins($1)) }
        case .or(let operands):
            var result = pins(operands[0])
            for operand in operands.dropFirst() { result.formIntersection(pins(operand)) }
            return result
        case .compare(.equal, let lhs, let rhs):
            if case .claim(let path) = lhs.kind, let literal = pinningLiteral(rhs) {
                return exactPins(path.dotted, literal)
            }
            if case .claim(let path) = rhs.kind, let literal = pinningLiteral(lhs) {
                return exactPins(path.dotted, literal)
            }
            return []
        case .member(let lhs, let rhs):
            guard case .claim(let path) = lhs.kind, case .list(let values) = rhs.kind, !values.isEmpty else { return [] }
            var result: Set<String>?
            for value in values {
                guard let literal = pinningLiteral(value) else { return [] }
                let pins = exactPins(path.dotted, literal)
                result = result.map { $0.intersection(pins) } ?? pins
            }
            return result ?? []
        case .startsWith(let lhs, let rhs):
            guard case .claim(let path) = lhs.kind, case .literal(.string(let prefix)) = rhs.kind else { return [] }
            return prefixPins(path.dotted, prefix)
        case .matches(let lhs, let rhs):
            guard case .claim(let path) = lhs.kind, case .literal(.string(let pattern)) = rhs.kind else { return [] }
            let glob = GlobPattern(pattern)
            return glob.isLiteral ? exactPins(path.dotted, pattern) : prefixPins(path.dotted, glob.literalPrefix)
        default:
            return []
        }
    }

    /// Strings and numbers pin; `null` and booleans do not name a tenant.
    private static func pinningLiteral(_ node: ConditionNode) -> String? {
        guard case .literal(let value) = node.kind else { return nil }
        return pinningLiteral(value)
    }

    private static func pinningLiteral(_ value: JSONValue) -> String? {
        switch value {
        case .string(let text): return text
        case .number:
            var text = ""
            value.write(into: &text)
            return text
        default: return nil
        }
    }

    private static func exactPins(_ path: String, _ literal: String) -> Set<String> {
        var result: Set<String> = [path]
        switch path {
        case "repository":
            if ownerPrefix(literal) != nil { result.insert("repository_owner") }
        case "project_path":
            if ownerPrefix(literal) != nil { result.insert("namespace_path") }
        case "sub":
            result.formUnion(subjectPins(literal))
        default: break
        }
        return result
    }

    /// A prefix pins its claim only when it fixes a whole leading path segment ("acme/"),
    /// otherwise `startsWith("acme")` would also admit "acme-evil/…".
    private static func prefixPins(_ path: String, _ prefix: String) -> Set<String> {
        var result: Set<String> = []
        if path == "sub" {
            result.formUnion(subjectPins(prefix))
            if !result.isEmpty { result.insert(path) }
            return result
        }
        if ownerPrefix(prefix) != nil {
            result.insert(path)
            if path == "repository" { result.insert("repository_owner") }
        }
        return result
    }

    /// "owner/..." -> "owner" when the text has a non-empty part before a "/".
    private static func ownerPrefix(_ text: String) -> Substring? {
        guard let slash = text.firstIndex(of: "/"), slash != text.startIndex else { return nil }
        return text[..<slash]
    }

    /// Tenants implied by well-known `sub` shapes: GitHub's `repo:OWNER/NAME:…` and
    /// Kubernetes' `system:serviceaccount:NAMESPACE:NAME`.
    private static func subjectPins(_ text: String) -> Set<String> {
        if text.hasPrefix("repo:"), ownerPrefix(String(text.dropFirst(5))) != nil {
            return ["repository_owner"]
        }
        let serviceAccount = "system:serviceaccount:"
        if text.hasPrefix(serviceAccount) {
            let rest = text.dropFirst(serviceAccount.count)
            if let colon = rest.firstIndex(of: ":"), colon != rest.startIndex { return ["kubernetes.io.namespace"] }
        }
        return []
    }
}
