import Foundation

/// A one-time secret that lets a new node attest. Only its SHA-256 is stored;
/// the token itself is shown once, to the admin who created it.
public struct JoinToken: Hashable, Sendable, Codable {
    /// Public identifier (appears in the agent's SPIFFE ID and in events).
    public var id: String
    /// Hex SHA-256 of the secret token text.
    public var secretHash: String
    /// The agent ID to grant; nil means `spiffe://TD/signet/agent/join_token/<id>`.
    public var spiffeID: SPIFFEID?
    public var createdBy: String
    public var createdAt: Date
    public var expiresAt: Date
    /// Set once, when an agent attests with the token.
    public var usedAt: Date?
    public var usedBy: SPIFFEID?

    public init(
        id: String, secretHash: String, spiffeID: SPIFFEID?, createdBy: String, createdAt: Date, expiresAt: Date,
        usedAt: Date? = nil, usedBy: SPIFFEID? = nil
    ) {
        self.id = id
        self.secretHash = secretHash
        self.spiffeID = spiffeID
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.usedAt = usedAt
        self.usedBy = usedBy
    }

    enum CodingKeys: String, CodingKey {
        case id
        case secretHash = "secret_hash"
        case spiffeID = "spiffe_id"
        case createdBy = "created_by"
        case createdAt = "created_at"
        case expiresAt = "expires_at"
        case usedAt = "used_at"
        case usedBy = "used_by"
    }
}

/// A node agent the server has attested.
public struct AgentRecord: Hashable, Sendable, Codable {
    public var id: SPIFFEID
    /// `join_token` or `x509pop`.
    public var attestationType: String
    /// Node selectors from attestation (e.g. `x509pop:subject:cn:web-1`), matched by node-alias entries.
    public var selectors: [Selector]
    /// Serial (hex) of the agent's current SVID.
    public var serial: String
    public var svidExpiresAt: Date
    public var attestedAt: Date
    public var lastSeenAt: Date
    /// An evicted agent's renewals and syncs are refused; it must attest again (with a new token).
    public var evicted: Bool

    public init(
        id: SPIFFEID, attestationType: String, selectors: [Selector], serial: String, svidExpiresAt: Date,
        attestedAt: Date, lastSeenAt: Date, evicted: Bool = false
    ) {
        self.id = id
        self.attestationType = attestationType
        self.selectors = selectors.sorted()
        self.serial = serial
        self.svidExpiresAt = svidExpiresAt
        self.attestedAt = attestedAt
        self.lastSeenAt = lastSeenAt
        self.evicted = evicted
    }

    enum CodingKeys: String, CodingKey {
        case id
        case attestationType = "attestation_type"
        case selectors, serial
        case svidExpiresAt = "svid_expires_at"
        case attestedAt = "attested_at"
        case lastSeenAt = "last_seen_at"
        case evicted
    }
}
