/// The address of a claim inside a token's claim set, such as `repository_owner`
/// or `kubernetes.io.namespace`.
///
/// Claim names may themselves contain dots (Kubernetes puts everything under the
/// member `"kubernetes.io"`), so a dotted path is resolved greedily: at each object
/// level the longest run of remaining components that names an existing member is
/// taken. `kubernetes.io.namespace` therefore reads `claims["kubernetes.io"]["namespace"]`.
/// Expressions can be explicit with `claims["kubernetes.io"].namespace`; such
/// bracketed keys are matched exactly and never split.
public struct ClaimPath: Sendable, Hashable, CustomStringConvertible {
    /// One step of a path: a member name, either from a dotted path (eligible for
    /// greedy joining with its neighbours) or from a bracketed key (exact).
    struct Key: Sendable, Hashable {
        let name: String
        let exact: Bool
    }

    /// Longest accepted path text; claim names are short, anything longer is a mistake or an attack.
    public static let maxLength = 256
    /// Most components in one path.
    public static let maxComponents = 16

    let keys: [Key]
    /// For each start index, the member names to try there (longest dotted run first) and
    /// the index after each; precomputed so resolving allocates nothing on the hot path.
    let candidates: [[(name: String, next: Int)]]

    /// The canonical dotted form (`kubernetes.io.namespace`), used in messages and lint sets.
    public var dotted: String { keys.map(\.name).joined(separator: ".") }

    public var description: String { dotted }

    /// Parses a dotted path. Components must be non-empty and use only `A-Z a-z 0-9 _ -`.
    public init(_ dotted: String) throws(ClaimTemplateError) {
        if dotted.isEmpty { throw ClaimTemplateError("claim path is empty; name a claim such as repository_owner") }
        if dotted.utf8.count > Self.maxLength {
            throw ClaimTemplateError("claim path '\(dotted.prefix(32))…' is longer than \(Self.maxLength) bytes")
        }
        let components = dotted.split(separator: ".", omittingEmptySubsequences: false)
        if components.count > Self.maxComponents {
            throw ClaimTemplateError("claim path '\(dotted)' has more than \(Self.maxComponents) components")
        }
        var keys: [Key] = []
        for component in components {
            if component.isEmpty {
                throw ClaimTemplateError("claim path '\(dotted)' has an empty component (leading, trailing or double '.')")
            }
            guard component.utf8.allSatisfy(Self.isNameByte) else {
                throw ClaimTemplateError(
                    "claim path '\(dotted)' may contain only A-Z, a-z, 0-9, '_', '-' and '.' between names")
            }
            keys.append(Key(name: String(component), exact: false))
        }
        self.init(keys: keys)
    }

    /// Builds a path from parsed expression keys (already validated by the expression parser).
    init(keys: [Key]) {
        self.keys = keys
        var candidates: [[(name: String, next: Int)]] = []
        for index in keys.indices {
            var runEnd = index + 1
            if !keys[index].exact {
                while runEnd < keys.count, !keys[runEnd].exact { runEnd += 1 }
            }
            candidates.append(stride(from: runEnd, to: index, by: -1).map { end in
                (keys[index..<end].map(\.name).joined(separator: "."), end)
            })
        }
        self.candidates = candidates
    }

    public static func == (lhs: ClaimPath, rhs: ClaimPath) -> Bool { lhs.keys == rhs.keys }

    public func hash(into hasher: inout Hasher) { hasher.combine(keys) }

    static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default: false
        }
    }

    /// The value at this path, or nil when any step is missing or not an object.
    public func resolve(in claims: [String: JSONValue]) -> JSONValue? {
        var object = claims
        var index = 0
        while index < keys.count {
            var found: (value: JSONValue, next: Int)?
            for (name, next) in candidates[index] {
                if let value = object[name], Self.bytesEqualKey(name, in: object) {
                    found = (value, next)
                    break
                }
            }
            guard let (value, next) = found else { return nil }
            if next == keys.count { return value }
            guard case .object(let inner) = value else { return nil }
            object = inner
            index = next
        }
        return nil
    }

    /// Swift dictionaries look keys up by Unicode canonical equivalence; a claim name
    /// must match byte for byte, so a lookalike composed/decomposed key does not count.
    private static func bytesEqualKey(_ name: String, in object: [String: JSONValue]) -> Bool {
        guard let index = object.index(forKey: name) else { return false }
        return object[index].key.utf8.elementsEqual(name.utf8)
    }
}
