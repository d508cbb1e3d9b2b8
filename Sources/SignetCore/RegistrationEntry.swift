import Foundation

/// Who may receive which SPIFFE ID: the unit of authorisation in Signet.
///
/// Every entry carries an owner and a purpose so that no identity exists
/// without someone accountable for it; governance rules are checked against
/// this value before it is stored (see ``GovernancePolicy``).
public struct RegistrationEntry: Hashable, Sendable, Codable {
    public var id: String
    public var spiffeID: SPIFFEID
    public var parentID: SPIFFEID?
    public var selectors: [Selector]
    /// X.509-SVID lifetime in seconds.
    public var x509TTL: Int
    /// JWT-SVID lifetime in seconds.
    public var jwtTTL: Int
    public var dnsNames: [String]
    public var owner: String
    public var purpose: String
    public var environment: String?
    /// After this instant the entry no longer authorises issuance.
    public var expiresAt: Date?
    public var createdBy: String
    public var createdAt: Date
    public var updatedAt: Date
    /// Bumped on every update; lets agents and caches detect changes cheaply.
    public var revision: Int
    /// Federated trust domains whose bundles workloads with this entry receive (and so trust).
    public var federatesWith: [TrustDomain]

    public init(
        id: String = UUID().uuidString.lowercased(),
        spiffeID: SPIFFEID,
        parentID: SPIFFEID? = nil,
        selectors: [Selector] = [],
        x509TTL: Int,
        jwtTTL: Int,
        dnsNames: [String] = [],
        owner: String,
        purpose: String,
        environment: String? = nil,
        expiresAt: Date? = nil,
        createdBy: String,
        createdAt: Date = Date(),
        updatedAt: Date? = nil,
        revision: Int = 1,
        federatesWith: [TrustDomain] = []
    ) {
        self.id = id
        self.spiffeID = spiffeID
        self.parentID = parentID
        self.selectors = selectors.sorted()
        self.x509TTL = x509TTL
        self.jwtTTL = jwtTTL
        self.dnsNames = dnsNames
        self.owner = owner
        self.purpose = purpose
        self.environment = environment
        self.expiresAt = expiresAt
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
        self.revision = revision
        self.federatesWith = Array(Set(federatesWith)).sorted()
    }

    public func isExpired(at now: Date) -> Bool {
        if let expiresAt { return expiresAt <= now }
        return false
    }

    enum CodingKeys: String, CodingKey {
        case id
        case spiffeID = "spiffe_id"
        case parentID = "parent_id"
        case selectors
        case x509TTL = "x509_ttl"
        case jwtTTL = "jwt_ttl"
        case dnsNames = "dns_names"
        case owner, purpose, environment
        case expiresAt = "expires_at"
        case createdBy = "created_by"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case revision
        case federatesWith = "federates_with"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try c.decode(String.self, forKey: .id),
            spiffeID: try c.decode(SPIFFEID.self, forKey: .spiffeID),
            parentID: try c.decodeIfPresent(SPIFFEID.self, forKey: .parentID),
            selectors: try c.decode([Selector].self, forKey: .selectors),
            x509TTL: try c.decode(Int.self, forKey: .x509TTL),
            jwtTTL: try c.decode(Int.self, forKey: .jwtTTL),
            dnsNames: try c.decode([String].self, forKey: .dnsNames),
            owner: try c.decode(String.self, forKey: .owner),
            purpose: try c.decode(String.self, forKey: .purpose),
            environment: try c.decodeIfPresent(String.self, forKey: .environment),
            expiresAt: try c.decodeIfPresent(Date.self, forKey: .expiresAt),
            createdBy: try c.decode(String.self, forKey: .createdBy),
            createdAt: try c.decode(Date.self, forKey: .createdAt),
            updatedAt: try c.decode(Date.self, forKey: .updatedAt),
            revision: try c.decode(Int.self, forKey: .revision),
            federatesWith: try c.decodeIfPresent([TrustDomain].self, forKey: .federatesWith) ?? [])
    }
}
