import Foundation

/// "Whatever is found under `/srv/payments/*` belongs to team `payments`."
///
/// Scanners find thousands of credentials that nobody claims. Ownership rules assign them to teams
/// from facts the scanners already record (a path, a repository, a namespace, an account), so every
/// finding has someone to act on it. Rules only fill in ownership; they never replace an owner set
/// by hand, by the source, or by Signet (see ``OwnershipResolver/apply(to:)``).
///
/// Rules are tried by increasing ``priority`` (then by ``id``), and the first match wins, so a
/// specific rule (`/srv/payments/billing/*`, priority 10) can override a broad one (`/srv/payments/*`,
/// priority 100).
public struct OwnershipRule: Hashable, Sendable, Codable {
    /// Which fact of an inventory item the ``pattern`` is matched against.
    public enum Field: String, Hashable, Sendable, Codable, CaseIterable {
        /// The target of each `file` location (an absolute path).
        case path
        /// The target of each `git` location, and `attributes["repository"]`.
        case repository
        /// `attributes["namespace"]` (Kubernetes).
        case namespace
        /// `attributes["spiffe_id"]`, and each certificate SAN that is a `spiffe://` URI.
        case spiffeID = "spiffe-id"
        /// The target of each `account` location, `attributes["account"]` and `attributes["arn"]`.
        case account
        /// The target of each `tls` location (`host:port`).
        case host
        /// The detector or parser that found the item (`aws-access-key-id`, `tls-handshake`).
        case detector
    }

    public var id: String
    public var field: Field
    /// A glob (see ``GlobPattern``): `*` matches any run of characters including `/`, `?` exactly one.
    /// Matching is case-sensitive.
    public var pattern: String
    /// The owning team's name (a ``Team`` slug).
    public var team: String
    /// Lower wins; ties are broken by ``id``.
    public var priority: Int
    public var created: Date

    /// Longest pattern accepted, in bytes: enough for any path or ARN, small enough that matching
    /// cost stays bounded.
    public static let maxPatternBytes = 512
    /// Longest id accepted, in bytes.
    public static let maxIDBytes = 128
    /// Priority used when none is given.
    public static let defaultPriority = 100

    /// Every problem with a rule's fields, each phrased as what to change.
    public struct ValidationError: Error, Sendable, Hashable, CustomStringConvertible {
        public let problems: [String]

        public init(problems: [String]) {
            self.problems = problems
        }

        public var description: String { "invalid ownership rule: " + problems.joined(separator: "; ") }
    }

    public init(
        id: String, field: Field, pattern: String, team: String, priority: Int = OwnershipRule.defaultPriority,
        created: Date = Date()
    ) throws(ValidationError) {
        self.id = id
        self.field = field
        self.pattern = pattern
        self.team = team
        self.priority = priority
        self.created = created
        try validate()
    }

    /// Throws when a field is out of bounds; the message says what is allowed.
    public func validate() throws(ValidationError) {
        var problems: [String] = []
        if id.isEmpty {
            problems.append("id must not be empty")
        } else if id.utf8.count > Self.maxIDBytes {
            problems.append("id must be at most \(Self.maxIDBytes) bytes")
        } else if id.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F })
        {
            problems.append("id must not contain spaces or control characters (e.g. payments-srv)")
        }
        if pattern.isEmpty {
            problems.append("pattern must not be empty (use '*' to match everything)")
        } else if pattern.utf8.count > Self.maxPatternBytes {
            problems.append("pattern must be at most \(Self.maxPatternBytes) bytes (it is \(pattern.utf8.count))")
        }
        if let problem = Team.nameProblem(team) { problems.append(problem) }
        if !problems.isEmpty { throw ValidationError(problems: problems) }
    }

    /// The `ownerSource` an item gets when this rule assigns its owner.
    public var ownerSource: String { Self.ownerSourcePrefix + id }

    /// `ownerSource` values starting with this were set by a rule and may be re-derived.
    public static let ownerSourcePrefix = "rule:"

    enum CodingKeys: String, CodingKey {
        case id, field, pattern, team, priority, created
    }

    /// Decoding validates too: a rule read from a request body or a file is user input. A missing
    /// priority means ``defaultPriority``.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        let fieldName = try container.decode(String.self, forKey: .field)
        guard let field = Field(rawValue: fieldName) else {
            throw DecodingError.dataCorruptedError(
                forKey: .field, in: container,
                debugDescription: "ownership rule field '\(fieldName)' is not one of "
                    + Field.allCases.map(\.rawValue).joined(separator: ", "))
        }
        self.field = field
        pattern = try container.decode(String.self, forKey: .pattern)
        team = try container.decode(String.self, forKey: .team)
        priority = try container.decodeIfPresent(Int.self, forKey: .priority) ?? Self.defaultPriority
        created = try container.decode(Date.self, forKey: .created)
        do {
            try validate()
        } catch {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: error.description, underlyingError: error))
        }
    }
}
