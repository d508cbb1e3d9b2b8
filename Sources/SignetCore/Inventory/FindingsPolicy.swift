import Foundation

/// The thresholds the findings engine applies: how soon is "expiring", how old is "not rotated",
/// how long idle is "unused", how long an SVID may live, which environments are production.
///
/// The defaults follow common practice (rotate static secrets quarterly, warn a month before
/// expiry and escalate in the last week) and Signet's own ceilings for SVIDs, so a fresh install
/// reports useful findings without configuration.
public struct FindingsPolicy: Sendable, Hashable, Codable {
    /// `expiring-soon` (medium) within this many days of expiry.
    public var expiringWithinDays: Int
    /// `expiring-soon` becomes critical within this many days.
    public var criticalWithinDays: Int
    /// Static credentials older than this are `not-rotated` (high beyond four times as old).
    public var rotationDays: Int
    /// Credentials idle for longer than this are `unused`.
    public var unusedDays: Int
    /// Longest acceptable X.509-SVID lifetime, in seconds; longer is `validity-above-policy`.
    public var maxSVIDTTLSeconds: Int
    /// Longest acceptable JWT-SVID lifetime, in seconds.
    public var maxJWTSVIDTTLSeconds: Int
    /// Environment names that mean production (compared case-insensitively); findings in them are graver.
    public var productionEnvironments: Set<String>
    /// Environment names that are certainly not production (compared case-insensitively): a
    /// self-signed certificate served over TLS in one of them is not a finding.
    public var nonProductionEnvironments: Set<String>
    /// Registered team names. Filled by the caller from the team registry at run time (it is not
    /// part of the encoded policy, so configuration cannot drift from the registry); when empty,
    /// the `unknown-owner` rule is skipped.
    public var knownTeams: Set<String>

    public static let defaultProductionEnvironments: Set<String> = ["prod", "production"]
    public static let defaultNonProductionEnvironments: Set<String> = [
        "dev", "development", "test", "testing", "qa", "staging", "stage", "sandbox", "local", "ci",
    ]

    public init(
        expiringWithinDays: Int = 30, criticalWithinDays: Int = 7, rotationDays: Int = 90, unusedDays: Int = 90,
        maxSVIDTTLSeconds: Int = 86_400, maxJWTSVIDTTLSeconds: Int = 3600,
        productionEnvironments: Set<String> = FindingsPolicy.defaultProductionEnvironments,
        nonProductionEnvironments: Set<String> = FindingsPolicy.defaultNonProductionEnvironments,
        knownTeams: Set<String> = []
    ) {
        self.expiringWithinDays = expiringWithinDays
        self.criticalWithinDays = criticalWithinDays
        self.rotationDays = rotationDays
        self.unusedDays = unusedDays
        self.maxSVIDTTLSeconds = maxSVIDTTLSeconds
        self.maxJWTSVIDTTLSeconds = maxJWTSVIDTTLSeconds
        self.productionEnvironments = productionEnvironments
        self.nonProductionEnvironments = nonProductionEnvironments
        self.knownTeams = knownTeams
    }

    /// Every out-of-range threshold, each phrased as what to change; empty when the policy is usable.
    public var problems: [String] {
        var problems: [String] = []
        let limit = 36_500  // a century: anything longer is a typo, and keeps date arithmetic finite
        for (name, days) in [
            ("expiring_within_days", expiringWithinDays), ("critical_within_days", criticalWithinDays),
            ("rotation_days", rotationDays), ("unused_days", unusedDays),
        ] where !(0...limit).contains(days) {
            problems.append("\(name) must be between 0 and \(limit) days (it is \(days))")
        }
        if criticalWithinDays > expiringWithinDays {
            problems.append(
                "critical_within_days (\(criticalWithinDays)) must not exceed expiring_within_days "
                    + "(\(expiringWithinDays))")
        }
        for (name, seconds) in [
            ("max_svid_ttl_seconds", maxSVIDTTLSeconds), ("max_jwt_svid_ttl_seconds", maxJWTSVIDTTLSeconds),
        ] where !(1...(limit * 86_400)).contains(seconds) {
            problems.append("\(name) must be a positive number of seconds (it is \(seconds))")
        }
        return problems
    }

    enum CodingKeys: String, CodingKey {
        case expiringWithinDays = "expiring_within_days"
        case criticalWithinDays = "critical_within_days"
        case rotationDays = "rotation_days"
        case unusedDays = "unused_days"
        case maxSVIDTTLSeconds = "max_svid_ttl_seconds"
        case maxJWTSVIDTTLSeconds = "max_jwt_svid_ttl_seconds"
        case productionEnvironments = "production_environments"
        case nonProductionEnvironments = "non_production_environments"
    }

    /// Missing keys take their defaults, so a configuration file only states what it changes.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = FindingsPolicy()
        self.init(
            expiringWithinDays: try c.decodeIfPresent(Int.self, forKey: .expiringWithinDays)
                ?? defaults.expiringWithinDays,
            criticalWithinDays: try c.decodeIfPresent(Int.self, forKey: .criticalWithinDays)
                ?? defaults.criticalWithinDays,
            rotationDays: try c.decodeIfPresent(Int.self, forKey: .rotationDays) ?? defaults.rotationDays,
            unusedDays: try c.decodeIfPresent(Int.self, forKey: .unusedDays) ?? defaults.unusedDays,
            maxSVIDTTLSeconds: try c.decodeIfPresent(Int.self, forKey: .maxSVIDTTLSeconds)
                ?? defaults.maxSVIDTTLSeconds,
            maxJWTSVIDTTLSeconds: try c.decodeIfPresent(Int.self, forKey: .maxJWTSVIDTTLSeconds)
                ?? defaults.maxJWTSVIDTTLSeconds,
            productionEnvironments: try c.decodeIfPresent(Set<String>.self, forKey: .productionEnvironments)
                ?? defaults.productionEnvironments,
            nonProductionEnvironments: try c.decodeIfPresent(Set<String>.self, forKey: .nonProductionEnvironments)
                ?? defaults.nonProductionEnvironments)
        let problems = problems
        if !problems.isEmpty {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "invalid findings policy: "
                    + problems.joined(separator: "; ")))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(expiringWithinDays, forKey: .expiringWithinDays)
        try c.encode(criticalWithinDays, forKey: .criticalWithinDays)
        try c.encode(rotationDays, forKey: .rotationDays)
        try c.encode(unusedDays, forKey: .unusedDays)
        try c.encode(maxSVIDTTLSeconds, forKey: .maxSVIDTTLSeconds)
        try c.encode(maxJWTSVIDTTLSeconds, forKey: .maxJWTSVIDTTLSeconds)
        try c.encode(productionEnvironments.sorted(), forKey: .productionEnvironments)
        try c.encode(nonProductionEnvironments.sorted(), forKey: .nonProductionEnvironments)
    }
}
