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
        revision: Int = 1
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
    }
}
