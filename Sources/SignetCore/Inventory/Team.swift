import Foundation

/// A team that can own machine credentials.
///
/// Owners in the inventory are team names. Registering teams lets the findings engine tell a typo
/// (`paymnets`) from a real owner, and gives findings somewhere to go (``contact``). The name is a
/// slug so that it can appear unquoted in CLI arguments, ownership rules, URLs and metric labels.
public struct Team: Hashable, Sendable, Codable {
    /// `^[a-z0-9][a-z0-9._-]{0,62}$`, e.g. `payments`, `platform-sre`.
    public var name: String
    /// A human name such as "Payments Platform".
    public var displayName: String?
    /// Where to reach the team: an e-mail address or a chat channel.
    public var contact: String?
    public var created: Date

    /// Longest display name or contact accepted, in bytes.
    public static let maxTextBytes = 256

    /// Every problem with a team's fields, each phrased as what to change.
    public struct ValidationError: Error, Sendable, Hashable, CustomStringConvertible {
        public let problems: [String]

        public init(problems: [String]) {
            self.problems = problems
        }

        public var description: String { "invalid team: " + problems.joined(separator: "; ") }
    }

    public init(name: String, displayName: String? = nil, contact: String? = nil, created: Date = Date())
        throws(ValidationError)
    {
        self.name = name
        self.displayName = displayName
        self.contact = contact
        self.created = created
        try validate()
    }

    /// Throws when a field is out of bounds; the message says what is allowed.
    public func validate() throws(ValidationError) {
        var problems: [String] = []
        if let problem = Self.nameProblem(name) { problems.append(problem) }
        if let displayName, displayName.utf8.count > Self.maxTextBytes {
            problems.append("display name must be at most \(Self.maxTextBytes) bytes")
        }
        if let contact, contact.utf8.count > Self.maxTextBytes {
            problems.append("contact must be at most \(Self.maxTextBytes) bytes (an e-mail address or channel)")
        }
        if !problems.isEmpty { throw ValidationError(problems: problems) }
    }

    /// True for a valid team slug.
    public static func isValidName(_ name: String) -> Bool { nameProblem(name) == nil }

    /// Why `name` is not a valid team slug, or nil when it is.
    public static func nameProblem(_ name: String) -> String? {
        let bytes = name.utf8
        var valid = (1...63).contains(bytes.count)
        if valid, let first = bytes.first { valid = isLowerAlphanumeric(first) }
        if valid { valid = bytes.allSatisfy { isLowerAlphanumeric($0) || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D } }
        if valid { return nil }
        let shown = name.count > 70 ? String(name.prefix(64)) + "…" : name
        return "team name '\(shown)' is not allowed: use 1 to 63 characters from a-z, 0-9, '.', '_' and '-', "
            + "starting with a letter or digit (e.g. payments or platform-sre)"
    }

    private static func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
    }

    enum CodingKeys: String, CodingKey {
        case name
        case displayName = "display_name"
        case contact, created
    }

    /// Decoding validates too: a team read from a request body or a file is user input.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        displayName = try container.decodeIfPresent(String.self, forKey: .displayName)
        contact = try container.decodeIfPresent(String.self, forKey: .contact)
        created = try container.decode(Date.self, forKey: .created)
        do {
            try validate()
        } catch {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: error.description, underlyingError: error))
        }
    }
}
