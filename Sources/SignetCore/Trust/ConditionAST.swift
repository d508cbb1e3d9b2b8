/// The parsed form of a ``ConditionExpression``. Every node keeps the byte offset
/// of its source so evaluation errors can point at the responsible part.
struct ConditionNode: Sendable, Hashable {
    indirect enum Kind: Sendable, Hashable {
        /// A scalar literal: string, integer, boolean or null.
        case literal(JSONValue)
        /// A list literal of scalar literals (`["a", "b"]`).
        case list([JSONValue])
        case claim(ClaimPath)
        case not(ConditionNode)
        /// `a && b && …`, flattened so long chains do not deepen the tree.
        case and([ConditionNode])
        case or([ConditionNode])
        case compare(ComparisonOperator, ConditionNode, ConditionNode)
        /// `value in list`
        case member(ConditionNode, ConditionNode)
        case startsWith(ConditionNode, ConditionNode)
        case endsWith(ConditionNode, ConditionNode)
        /// `text matches glob`
        case matches(ConditionNode, ConditionNode)
    }

    let kind: Kind
    let offset: Int
    /// Height of the tree rooted here (a leaf is 1); bounded by ``ConditionExpression/maxDepth``.
    let depth: Int

    init(_ kind: Kind, offset: Int) {
        self.kind = kind
        self.offset = offset
        self.depth = 1 + (kind.children.map(\.depth).max() ?? 0)
    }
}

extension ConditionNode.Kind {
    var children: [ConditionNode] {
        switch self {
        case .literal, .list, .claim: []
        case .not(let operand): [operand]
        case .and(let operands), .or(let operands): operands
        case .compare(_, let lhs, let rhs), .member(let lhs, let rhs), .startsWith(let lhs, let rhs),
            .endsWith(let lhs, let rhs), .matches(let lhs, let rhs):
            [lhs, rhs]
        }
    }
}

enum ComparisonOperator: String, Sendable, Hashable {
    case equal = "=="
    case notEqual = "!="
    case less = "<"
    case lessOrEqual = "<="
    case greater = ">"
    case greaterOrEqual = ">="
}
