import Foundation

/// The rules every registration entry must satisfy before it is stored:
/// the ID belongs to this trust domain and follows a naming rule, TTLs stay
/// within the configured maxima, and someone owns it for a stated purpose.
public struct GovernancePolicy: Sendable {
    public var trustDomain: TrustDomain
    public var namingRules: [NamingRule]
    public var maxX509TTL: Int
    public var maxJWTTTL: Int
    /// Values a `{env}` placeholder (and the entry's environment) may take; empty means any.
    public var allowedEnvironments: [String]

    /// Paths under this prefix name Signet's own identities (server, agents, admins).
    public static let reservedPathPrefix = "/signet"

    public init(
        trustDomain: TrustDomain, namingRules: [NamingRule] = [], maxX509TTL: Int = 3600, maxJWTTTL: Int = 300,
        allowedEnvironments: [String] = []
    ) {
        self.trustDomain = trustDomain
        self.namingRules = namingRules
        self.maxX509TTL = maxX509TTL
        self.maxJWTTTL = maxJWTTTL
        self.allowedEnvironments = allowedEnvironments
    }

    /// Every rule the entry breaks, each phrased as what to change. Empty when the entry is acceptable.
    public func violations(of entry: RegistrationEntry, now: Date = Date()) -> [String] {
        var problems: [String] = []
        let id = entry.spiffeID
        if id.trustDomain != trustDomain {
            problems.append("SPIFFE ID \(id) is not in this server's trust domain '\(trustDomain)'")
        }
        if id.path.isEmpty {
            problems.append("SPIFFE ID \(id) has no path; workloads need a path such as /prod/payments/api")
        }
        if id.path == Self.reservedPathPrefix || id.path.hasPrefix(Self.reservedPathPrefix + "/") {
            problems.append("paths under \(Self.reservedPathPrefix)/ are reserved for Signet's own identities")
        }
        if let parent = entry.parentID, parent.trustDomain != trustDomain {
            problems.append("parent ID \(parent) is not in trust domain '\(trustDomain)'")
        }
        if !namingRules.isEmpty, id.trustDomain == trustDomain {
            let matches = namingRules.compactMap { $0.match(id) }
            if matches.isEmpty {
                let list = namingRules.map(\.pattern).joined(separator: ", ")
                problems.append("SPIFFE ID \(id) matches no naming rule (\(list))")
            } else if let env = matches.compactMap({ $0["env"] }).first {
                if let entryEnv = entry.environment, entryEnv != env {
                    problems.append("environment '\(entryEnv)' differs from the {env} segment '\(env)' of the ID")
                }
                if !allowedEnvironments.isEmpty, !allowedEnvironments.contains(env) {
                    problems.append(
                        "environment '\(env)' is not one of \(allowedEnvironments.joined(separator: ", "))")
                }
            }
        }
        if let env = entry.environment, !allowedEnvironments.isEmpty, !allowedEnvironments.contains(env) {
            problems.append("environment '\(env)' is not one of \(allowedEnvironments.joined(separator: ", "))")
        }
        if entry.x509TTL <= 0 || entry.x509TTL > maxX509TTL {
            problems.append(
                "x509 TTL \(Lifetime.format(entry.x509TTL)) must be between 1s and \(Lifetime.format(maxX509TTL))")
        }
        if entry.jwtTTL <= 0 || entry.jwtTTL > maxJWTTTL {
            problems.append(
                "JWT TTL \(Lifetime.format(entry.jwtTTL)) must be between 1s and \(Lifetime.format(maxJWTTTL))")
        }
        if entry.owner.trimmingCharacters(in: .whitespaces).isEmpty {
            problems.append("owner is required (the team accountable for this identity)")
        }
        if entry.purpose.trimmingCharacters(in: .whitespaces).isEmpty {
            problems.append("purpose is required (what this identity is for)")
        }
        if entry.owner.count > 256 || entry.purpose.count > 1024 {
            problems.append("owner must be at most 256 characters and purpose at most 1024")
        }
        for name in entry.dnsNames where !DNSName.isValid(name) {
            problems.append("DNS name '\(name)' is not a valid host name")
        }
        if entry.dnsNames.count > 100 { problems.append("at most 100 DNS names per entry") }
        if entry.selectors.count > 64 { problems.append("at most 64 selectors per entry") }
        if let expiresAt = entry.expiresAt, expiresAt <= now {
            problems.append("expiry \(expiresAt) is in the past")
        }
        return problems
    }
}

/// Host-name syntax for DNS SANs (RFC 1123 labels, optional leading `*.` wildcard).
public enum DNSName {
    public static func isValid(_ name: String) -> Bool {
        var name = Substring(name)
        if name.hasPrefix("*.") { name = name.dropFirst(2) }
        guard !name.isEmpty, name.utf8.count <= 253 else { return false }
        for label in name.split(separator: ".", omittingEmptySubsequences: false) {
            guard (1...63).contains(label.utf8.count), label.first != "-", label.last != "-" else { return false }
            guard label.utf8.allSatisfy({ b in
                (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39) || b == 0x2D
            }) else { return false }
        }
        return true
    }
}
