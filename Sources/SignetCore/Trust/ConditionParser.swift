/// Recursive-descent parser for the condition language. Recursion happens only
/// through parentheses, `!` and method arguments, and each of those counts
/// against ``ConditionExpression/maxDepth``, so hostile input cannot exhaust the stack.
///
/// Grammar (lowest precedence first):
/// ```
/// or         := and ("||" and)*
/// and        := comparison ("&&" comparison)*
/// comparison := unary (("==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "matches") unary)?
/// unary      := "!" unary | postfix
/// postfix    := primary ("." ("startsWith" | "endsWith") "(" or ")")*
/// primary    := STRING | INTEGER | true | false | null | "[" literals "]" | "(" or ")"
///             | "claims" ("." NAME | "[" STRING "]")+
/// ```
struct ConditionParser {
    private let tokens: [ConditionToken]
    private var position = 0
    private var nesting = 0
    private var nodeCount = 0

    init(tokens: [ConditionToken]) {
        self.tokens = tokens
    }

    static func parse(_ source: String) throws(ConditionError) -> ConditionNode {
        let bytes = Array(source.utf8)
        if bytes.count > ConditionExpression.maxLength {
            throw ConditionError(
                "condition is \(bytes.count) bytes; at most \(ConditionExpression.maxLength) are allowed", offset: nil)
        }
        var parser = ConditionParser(tokens: try ConditionLexer.tokenize(bytes))
        if case .end = parser.current.kind {
            throw ConditionError("condition is empty; omit it to accept every token, or write an expression", offset: parser.current.offset)
        }
        let root = try parser.parseOr()
        guard case .end = parser.current.kind else {
            throw ConditionError("unexpected \(parser.current.display); expected '&&', '||' or the end", offset: parser.current.offset)
        }
        return root
    }

    private var current: ConditionToken { tokens[position] }

    private func peek(_ distance: Int = 1) -> ConditionToken {
        tokens[min(position + distance, tokens.count - 1)]
    }

    private mutating func advance() -> ConditionToken {
        let token = tokens[position]
        if position < tokens.count - 1 { position += 1 }
        return token
    }

    private func isSymbol(_ symbol: String) -> Bool {
        if case .symbol(let s) = current.kind { return s == symbol }
        return false
    }

    private func isIdentifier(_ name: String) -> Bool {
        if case .identifier(let s) = current.kind { return s == name }
        return false
    }

    private mutating func expect(_ symbol: String, _ context: String) throws(ConditionError) {
        guard isSymbol(symbol) else {
            throw ConditionError("expected '\(symbol)' \(context), found \(current.display)", offset: current.offset)
        }
        _ = advance()
    }

    private mutating func node(_ kind: ConditionNode.Kind, at offset: Int) throws(ConditionError) -> ConditionNode {
        nodeCount += 1
        if case .list(let values) = kind { nodeCount += values.count }
        if nodeCount > ConditionExpression.maxNodes {
            throw ConditionError("condition has more than \(ConditionExpression.maxNodes) parts; split the rule", offset: offset)
        }
        let node = ConditionNode(kind, offset: offset)
        if node.depth > ConditionExpression.maxDepth {
            throw ConditionError("condition is nested deeper than \(ConditionExpression.maxDepth) levels", offset: offset)
        }
        return node
    }

    private mutating func enter(at offset: Int) throws(ConditionError) {
        nesting += 1
        if nesting > ConditionExpression.maxDepth {
            throw ConditionError("condition is nested deeper than \(ConditionExpression.maxDepth) levels", offset: offset)
        }
    }

    private mutating func parseOr() throws(ConditionError) -> ConditionNode {
        let first = try parseAnd()
        var operands = [first]
        while isSymbol("||") {
            _ = advance()
            operands.append(try parseAnd())
        }
        return operands.count == 1 ? first : try node(.or(operands), at: first.offset)
    }

    private mutating func parseAnd() throws(ConditionError) -> ConditionNode {
        let first = try parseComparison()
        var operands = [first]
        while isSymbol("&&") {
            _ = advance()
            operands.append(try parseComparison())
        }
        return operands.count == 1 ? first : try node(.and(operands), at: first.offset)
    }

    private mutating func parseComparison() throws(ConditionError) -> ConditionNode {
        let lhs = try parseUnary()
        let operatorToken = current
        guard let binary = binaryOperator(operatorToken) else { return lhs }
        if case .not = lhs.kind {
            throw ConditionError(
                "'!' applies only to the value right after it; write !(a \(binary) b) to negate a comparison",
                offset: lhs.offset)
        }
        _ = advance()
        let rhs = try parseUnary()
        let kind: ConditionNode.Kind
        switch binary {
        case "in": kind = .member(lhs, rhs)
        case "matches": kind = .matches(lhs, rhs)
        default: kind = .compare(ComparisonOperator(rawValue: binary)!, lhs, rhs)
        }
        let result = try node(kind, at: operatorToken.offset)
        if let next = binaryOperator(current) {
            throw ConditionError(
                "'\(next)' cannot follow another comparison; combine comparisons with && or ||", offset: current.offset)
        }
        return result
    }

    private func binaryOperator(_ token: ConditionToken) -> String? {
        switch token.kind {
        case .symbol(let s) where ["==", "!=", "<", "<=", ">", ">="].contains(s): s
        case .identifier(let s) where s == "in" || s == "matches": s
        default: nil
        }
    }

    private mutating func parseUnary() throws(ConditionError) -> ConditionNode {
        guard isSymbol("!") else { return try parsePostfix() }
        let bang = advance()
        try enter(at: bang.offset)
        let operand = try parseUnary()
        nesting -= 1
        return try node(.not(operand), at: bang.offset)
    }

    private mutating func parsePostfix() throws(ConditionError) -> ConditionNode {
        var result = try parsePrimary()
        while isSymbol(".") {
            let dot = advance()
            guard case .identifier(let name) = current.kind else {
                throw ConditionError("expected a method name after '.', found \(current.display)", offset: current.offset)
            }
            guard name == "startsWith" || name == "endsWith" else {
                if case .claim = result.kind {
                    throw ConditionError("methods are startsWith and endsWith; '\(name)' is unknown", offset: current.offset)
                }
                throw ConditionError(
                    "only claims have members; '.\(name)' cannot follow \(Self.describe(result))", offset: current.offset)
            }
            _ = advance()
            try expect("(", "after \(name)")
            try enter(at: dot.offset)
            let argument = try parseOr()
            nesting -= 1
            try expect(")", "to close \(name)(")
            result = try node(name == "startsWith" ? .startsWith(result, argument) : .endsWith(result, argument), at: dot.offset)
        }
        return result
    }

    private mutating func parsePrimary() throws(ConditionError) -> ConditionNode {
        let token = advance()
        switch token.kind {
        case .string(let text): return try node(.literal(.string(text)), at: token.offset)
        case .integer(let value): return try node(.literal(.number(value)), at: token.offset)
        case .identifier("true"): return try node(.literal(.bool(true)), at: token.offset)
        case .identifier("false"): return try node(.literal(.bool(false)), at: token.offset)
        case .identifier("null"): return try node(.literal(.null), at: token.offset)
        case .identifier("claims"): return try parseClaim(at: token.offset)
        case .identifier(let name):
            throw ConditionError("unknown name '\(name)'; read token claims as claims.\(name)", offset: token.offset)
        case .symbol("("):
            try enter(at: token.offset)
            let inner = try parseOr()
            nesting -= 1
            try expect(")", "to close '(' at byte \(token.offset)")
            return inner
        case .symbol("["):
            var values: [JSONValue] = []
            if !isSymbol("]") {
                while true {
                    let element = advance()
                    switch element.kind {
                    case .string(let text): values.append(.string(text))
                    case .integer(let value): values.append(.number(value))
                    case .identifier("true"): values.append(.bool(true))
                    case .identifier("false"): values.append(.bool(false))
                    case .identifier("null"): values.append(.null)
                    default:
                        throw ConditionError(
                            "list elements must be literals (strings, integers, true, false, null), found \(element.display)",
                            offset: element.offset)
                    }
                    if isSymbol(",") {
                        _ = advance()
                        continue
                    }
                    break
                }
            }
            try expect("]", "to close the list at byte \(token.offset)")
            return try node(.list(values), at: token.offset)
        case .end:
            throw ConditionError("condition ends early; expected a value", offset: token.offset)
        default:
            throw ConditionError("unexpected \(token.display); expected a value", offset: token.offset)
        }
    }

    /// `claims` followed by one or more `.name` / `["key"]` accessors; a `.startsWith(`
    /// or `.endsWith(` ends the path and becomes a method call.
    private mutating func parseClaim(at offset: Int) throws(ConditionError) -> ConditionNode {
        var keys: [ClaimPath.Key] = []
        while true {
            if isSymbol("."), case .identifier(let name) = peek().kind {
                if case .symbol("(") = peek(2).kind, !keys.isEmpty { break }
                _ = advance()
                _ = advance()
                keys.append(ClaimPath.Key(name: name, exact: false))
            } else if isSymbol("["), case .string(let key) = peek().kind {
                if key.isEmpty { throw ConditionError("claim name must not be empty", offset: peek().offset) }
                _ = advance()
                _ = advance()
                try expect("]", "after the claim name")
                keys.append(ClaimPath.Key(name: key, exact: true))
            } else {
                break
            }
            if keys.count > ClaimPath.maxComponents {
                throw ConditionError("claim path has more than \(ClaimPath.maxComponents) components", offset: offset)
            }
        }
        if keys.isEmpty {
            throw ConditionError("'claims' must be followed by a claim name: claims.sub or claims[\"kubernetes.io\"]", offset: offset)
        }
        return try node(.claim(ClaimPath(keys: keys)), at: offset)
    }

    static func describe(_ node: ConditionNode) -> String {
        switch node.kind {
        case .literal(let value): "the literal \(value)"
        case .list: "a list"
        case .claim(let path): "claims.\(path.dotted)"
        default: "an expression"
        }
    }
}

extension ConditionToken {
    var display: String {
        switch kind {
        case .string(let text):
            var quoted = ""
            JSONValue.writeString(String(text.prefix(32)), into: &quoted)
            return "string \(quoted)"
        case .integer(let value):
            var text = ""
            JSONValue.writeNumber(value, into: &text)
            return "number \(text)"
        case .identifier(let name): return "'\(name)'"
        case .symbol(let symbol): return "'\(symbol)'"
        case .end: return "the end of the condition"
        }
    }
}
