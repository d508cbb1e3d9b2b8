/// Evaluates a parsed condition against a claim set.
///
/// Every node visited, every list element compared and every 16 bytes of string
/// scanned costs one step; exceeding ``ConditionExpression/maxEvaluationSteps``
/// aborts evaluation with an error, so the cost of a rule is bounded no matter
/// how large the (attacker-supplied) claims are. Recursion depth is bounded by the
/// tree depth the parser already limited.
struct ConditionEvaluator {
    let claims: [String: JSONValue]
    private(set) var steps = 0

    init(claims: [String: JSONValue]) {
        self.claims = claims
    }

    /// Bytes of string work that cost one step.
    static let bytesPerStep = 16

    private mutating func charge(_ count: Int, at offset: Int) throws(ConditionError) {
        steps += count
        if steps > ConditionExpression.maxEvaluationSteps {
            throw ConditionError(
                "condition needs more than \(ConditionExpression.maxEvaluationSteps) evaluation steps on these claims; simplify it",
                offset: offset)
        }
    }

    private static func stringSteps(_ byteCount: Int) -> Int { 1 + byteCount / bytesPerStep }

    mutating func boolean(_ node: ConditionNode, role: String = "this") throws(ConditionError) -> Bool {
        let result = try value(node)
        guard case .bool(let flag) = result else {
            throw ConditionError(
                "\(Self.describe(node)) is \(Self.typeName(result)), but \(role) needs true or false", offset: node.offset)
        }
        return flag
    }

    mutating func value(_ node: ConditionNode) throws(ConditionError) -> JSONValue {
        try charge(1, at: node.offset)
        switch node.kind {
        case .literal(let value):
            return value
        case .list(let values):
            try charge(values.count, at: node.offset)
            return .array(values)
        case .claim(let path):
            try charge(path.keys.count, at: node.offset)
            return path.resolve(in: claims) ?? .null
        case .not(let operand):
            return .bool(!(try boolean(operand, role: "'!'")))
        case .and(let operands):
            for operand in operands where !(try boolean(operand, role: "'&&'")) { return .bool(false) }
            return .bool(true)
        case .or(let operands):
            for operand in operands where try boolean(operand, role: "'||'") { return .bool(true) }
            return .bool(false)
        case .compare(let op, let lhs, let rhs):
            return .bool(try compare(op, lhs, rhs, at: node.offset))
        case .member(let lhs, let rhs):
            let needle = try value(lhs)
            try requireScalar(needle, lhs, role: "'in'")
            let haystack = try value(rhs)
            guard case .array(let elements) = haystack else {
                throw ConditionError(
                    "\(Self.describe(rhs)) is \(Self.typeName(haystack)), but the right side of 'in' must be a list",
                    offset: rhs.offset)
            }
            for element in elements {
                try charge(Self.cost(of: needle), at: node.offset)
                if Self.scalarEqual(needle, element) { return .bool(true) }
            }
            return .bool(false)
        case .startsWith(let lhs, let rhs), .endsWith(let lhs, let rhs):
            let isPrefix: Bool
            if case .startsWith = node.kind { isPrefix = true } else { isPrefix = false }
            let name = isPrefix ? "startsWith" : "endsWith"
            let text = try string(lhs, role: name)
            let affix = try string(rhs, role: "the argument of \(name)")
            try charge(Self.stringSteps(affix.utf8.count), at: node.offset)
            let result = isPrefix ? text.utf8.starts(with: affix.utf8) : text.utf8.reversed().starts(with: affix.utf8.reversed())
            return .bool(result)
        case .matches(let lhs, let rhs):
            let text = try string(lhs, role: "'matches'")
            let pattern = try string(rhs, role: "the glob of 'matches'")
            let remaining = (ConditionExpression.maxEvaluationSteps - steps) * Self.bytesPerStep
            let (matched, cost) = GlobPattern(pattern).match(text, budget: remaining)
            try charge(Self.stringSteps(cost), at: node.offset)
            return .bool(matched)
        }
    }

    private mutating func string(_ node: ConditionNode, role: String) throws(ConditionError) -> String {
        let result = try value(node)
        guard case .string(let text) = result else {
            throw ConditionError("\(Self.describe(node)) is \(Self.typeName(result)), but \(role) needs a string", offset: node.offset)
        }
        return text
    }

    private mutating func compare(
        _ op: ComparisonOperator, _ lhs: ConditionNode, _ rhs: ConditionNode, at offset: Int
    ) throws(ConditionError) -> Bool {
        let left = try value(lhs)
        let right = try value(rhs)
        switch op {
        case .equal, .notEqual:
            try requireScalar(left, lhs, role: "'\(op.rawValue)'")
            try requireScalar(right, rhs, role: "'\(op.rawValue)'")
            try charge(Self.cost(of: left), at: offset)
            let equal = Self.scalarEqual(left, right)
            return op == .equal ? equal : !equal
        case .less, .lessOrEqual, .greater, .greaterOrEqual:
            let order: Int
            switch (left, right) {
            case (.number(let a), .number(let b)):
                order = a < b ? -1 : (a > b ? 1 : 0)
            case (.string(let a), .string(let b)):
                try charge(Self.stringSteps(min(a.utf8.count, b.utf8.count)), at: offset)
                order = Self.byteOrder(a, b)
            default:
                throw ConditionError(
                    "'\(op.rawValue)' compares two numbers or two strings, but \(Self.describe(lhs)) is \(Self.typeName(left)) and \(Self.describe(rhs)) is \(Self.typeName(right))",
                    offset: offset)
            }
            switch op {
            case .less: return order < 0
            case .lessOrEqual: return order <= 0
            case .greater: return order > 0
            default: return order >= 0
            }
        }
    }

    private func requireScalar(_ value: JSONValue, _ node: ConditionNode, role: String) throws(ConditionError) {
        switch value {
        case .array, .object:
            throw ConditionError(
                "\(Self.describe(node)) is \(Self.typeName(value)); \(role) compares strings, numbers, booleans or null (use 'in' to search a list)",
                offset: node.offset)
        default: return
        }
    }

    /// Equality of scalars; strings compare byte for byte (UTF-8), never by Unicode
    /// canonical equivalence, so a composed "é" and a decomposed "é" are different values,
    /// exactly as they are different bytes in the token. Different types are never equal.
    static func scalarEqual(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): true
        case (.bool(let x), .bool(let y)): x == y
        case (.number(let x), .number(let y)): x == y
        case (.string(let x), .string(let y)): x.utf8.elementsEqual(y.utf8)
        default: false
        }
    }

    static func byteOrder(_ a: String, _ b: String) -> Int {
        var left = a.utf8.makeIterator()
        var right = b.utf8.makeIterator()
        while true {
            switch (left.next(), right.next()) {
            case (nil, nil): return 0
            case (nil, _): return -1
            case (_, nil): return 1
            case (let x?, let y?): if x != y { return x < y ? -1 : 1 }
            }
        }
    }

    private static func cost(of value: JSONValue) -> Int {
        if case .string(let text) = value { return stringSteps(text.utf8.count) }
        return 1
    }

    static func typeName(_ value: JSONValue) -> String {
        switch value {
        case .null: "null (missing)"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "a list"
        case .object: "an object"
        }
    }

    static func describe(_ node: ConditionNode) -> String {
        switch node.kind {
        case .claim(let path): "claims.\(path.dotted)"
        case .literal(let value): "the literal \(value)"
        case .list: "the list"
        case .compare(let op, _, _): "the '\(op.rawValue)' comparison"
        default: "the expression"
        }
    }
}
