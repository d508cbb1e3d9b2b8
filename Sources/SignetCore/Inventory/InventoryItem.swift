import Foundation

/// One machine credential Signet knows about, whether it issued it or found it.
///
/// The same credential seen in several places is one item with several
/// locations: items are keyed by ``fingerprint`` (SHA-256 of the public part for
/// keys and certificates; a keyed HMAC for secrets, whose values are never
/// stored, only a redacted ``preview``).
public struct InventoryItem: Hashable, Sendable, Codable {
    public enum Kind: String, Hashable, Sendable, Codable, CaseIterable {
        case x509Certificate = "x509-certificate"
        case privateKey = "private-key"
        case sshKey = "ssh-key"
        case sshCertificate = "ssh-certificate"
        case apiToken = "api-token"
        case cloudAccessKey = "cloud-access-key"
        case kubernetesServiceAccount = "kubernetes-service-account"
        case kubernetesToken = "kubernetes-token"
        case jwtSigningTrust = "jwt-signing-trust"
        case signetSVID = "signet-svid"
        case signetEntry = "signet-entry"
        case password = "password"
        case pkcs12 = "pkcs12"
    }

    public enum Status: String, Hashable, Sendable, Codable, CaseIterable {
        case active, revoked, expired, retired
    }

    /// Where the credential was seen.
    public struct Location: Hashable, Sendable, Codable {
        /// `file`, `git`, `tls`, `account`, `signet`, `import`.
        public var type: String
        /// A path, `host:port`, an account name, a repository URL.
        public var target: String
        public var line: Int?
        public var column: Int?
        public var commit: String?
        public var firstSeen: Date
        public var lastSeen: Date

        public init(
            type: String, target: String, line: Int? = nil, column: Int? = nil, commit: String? = nil,
            firstSeen: Date, lastSeen: Date? = nil
        ) {
            self.type = type
            self.target = target
            self.line = line
            self.column = column
            self.commit = commit
            self.firstSeen = firstSeen
            self.lastSeen = lastSeen ?? firstSeen
        }

        enum CodingKeys: String, CodingKey {
            case type, target, line, column, commit
            case firstSeen = "first_seen"
            case lastSeen = "last_seen"
        }

        /// `last_seen` may be omitted by uploaders: it then equals `first_seen`.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            type = try c.decode(String.self, forKey: .type)
            target = try c.decode(String.self, forKey: .target)
            line = try c.decodeIfPresent(Int.self, forKey: .line)
            column = try c.decodeIfPresent(Int.self, forKey: .column)
            commit = try c.decodeIfPresent(String.self, forKey: .commit)
            firstSeen = try c.decode(Date.self, forKey: .firstSeen)
            lastSeen = try c.decodeIfPresent(Date.self, forKey: .lastSeen) ?? firstSeen
        }
    }

    /// Certificate facts (nil for other kinds).
    public struct CertificateFacts: Hashable, Sendable, Codable {
        public var subject: String
        public var issuer: String
        public var serial: String
        public var sans: [String]
        public var notBefore: Date
        public var notAfter: Date
        public var signatureAlgorithm: String
        public var selfSigned: Bool
        public var isCA: Bool

        public init(
            subject: String, issuer: String, serial: String, sans: [String], notBefore: Date, notAfter: Date,
            signatureAlgorithm: String, selfSigned: Bool, isCA: Bool
        ) {
            self.subject = subject
            self.issuer = issuer
            self.serial = serial
            self.sans = sans
            self.notBefore = notBefore
            self.notAfter = notAfter
            self.signatureAlgorithm = signatureAlgorithm
            self.selfSigned = selfSigned
            self.isCA = isCA
        }

        enum CodingKeys: String, CodingKey {
            case subject, issuer, serial, sans
            case notBefore = "not_before"
            case notAfter = "not_after"
            case signatureAlgorithm = "signature_algorithm"
            case selfSigned = "self_signed"
            case isCA = "is_ca"
        }
    }

    /// Stable id derived from kind and fingerprint (see ``stableID(kind:fingerprint:)``).
    public var id: String
    public var kind: Kind
    /// `sha256:<hex>` of the public part, or `hmac-sha256:<hex>` for secrets.
    public var fingerprint: String
    /// For secrets: a redacted preview such as `AKIA…XYZ4`; never the value.
    public var preview: String?
    /// The detector or parser that found it (`aws-access-key-id`, `pem-certificate`, `tls-handshake`).
    public var detector: String?
    public var locations: [Location]
    public var owner: String?
    public var purpose: String?
    public var environment: String?
    public var created: Date?
    public var expires: Date?
    public var lastUsed: Date?
    /// `RSA`, `EC`, `Ed25519`, ... and the key size in bits.
    public var algorithm: String?
    public var keySize: Int?
    public var certificate: CertificateFacts?
    /// Known privileges (from imported IAM data).
    public var privileges: [String]
    public var managedBySignet: Bool
    /// True when a private key is stored encrypted (passphrase-protected).
    public var encrypted: Bool
    public var status: Status
    /// A human label: an IAM user and key slot, a service account, a token name.
    public var name: String?
    /// Facts from the source that ownership rules and findings read: `namespace`, `repository`,
    /// `spiffe_id`, `arn`, `repository_selection`, ... Never secret values.
    public var attributes: [String: String]
    /// Observations the scanner made where it saw the credential, e.g. `world-readable` (a private
    /// key file readable by group or others) or `test-file`.
    public var notes: [String]
    /// Where ``owner`` came from: `manual` (`inventory assign`, never overridden by ingest),
    /// `rule:<id>` (an ownership rule), `source` (the scanner or importer said so), `signet` (the entry).
    public var ownerSource: String?
    /// Sum of the severity weights of the item's open findings, set by the findings engine.
    public var riskScore: Int

    public init(
        kind: Kind, fingerprint: String, preview: String? = nil, detector: String? = nil, locations: [Location],
        owner: String? = nil, purpose: String? = nil, environment: String? = nil, created: Date? = nil,
        expires: Date? = nil, lastUsed: Date? = nil, algorithm: String? = nil, keySize: Int? = nil,
        certificate: CertificateFacts? = nil, privileges: [String] = [], managedBySignet: Bool = false,
        encrypted: Bool = false, status: Status = .active, name: String? = nil, attributes: [String: String] = [:],
        notes: [String] = [], ownerSource: String? = nil, riskScore: Int = 0
    ) {
        self.id = Self.stableID(kind: kind, fingerprint: fingerprint)
        self.kind = kind
        self.fingerprint = fingerprint
        self.preview = preview
        self.detector = detector
        self.locations = locations
        self.owner = owner
        self.purpose = purpose
        self.environment = environment
        self.created = created
        self.expires = expires
        self.lastUsed = lastUsed
        self.algorithm = algorithm
        self.keySize = keySize
        self.certificate = certificate
        self.privileges = privileges
        self.managedBySignet = managedBySignet
        self.encrypted = encrypted
        self.status = status
        self.name = name
        self.attributes = attributes
        self.notes = notes
        self.ownerSource = ownerSource ?? (owner == nil ? nil : "source")
        self.riskScore = riskScore
    }

    /// Earliest sighting over all locations.
    public var firstSeen: Date? { locations.lazy.map(\.firstSeen).min() }
    /// Latest sighting over all locations.
    public var lastSeen: Date? { locations.lazy.map(\.lastSeen).max() }

    /// The status as of `now`: an active credential past its expiry (or its certificate's) is expired.
    public func effectiveStatus(at now: Date) -> Status {
        if status == .active, let expiry = expires ?? certificate?.notAfter, expiry <= now { return .expired }
        return status
    }

    /// How strong a claim to ownership is: manual 3, a source (scanner, importer, Signet's entry) 2,
    /// an ownership rule 1, none 0.
    public static func ownerRank(_ source: String?) -> Int {
        switch source {
        case nil: 0
        case "manual"?: 3
        case let s? where s.hasPrefix("rule:"): 1
        default: 2
        }
    }

    /// The same credential found twice yields the same id, whatever the location.
    public static func stableID(kind: Kind, fingerprint: String) -> String {
        kind.rawValue + ":" + fingerprint
    }

    /// Merges another sighting of the same credential: locations are united (by type, target, line,
    /// commit), keeping the earliest first-seen and latest last-seen of each. Facts the item lacks
    /// are taken from the sighting; notes, privileges and attributes are united; a manual owner is
    /// never replaced, any other owner only by a sighting that names one.
    public mutating func merge(_ other: InventoryItem) {
        precondition(other.id == id, "only sightings of the same credential merge")
        preview = preview ?? other.preview
        detector = detector ?? other.detector
        purpose = other.purpose ?? purpose
        environment = other.environment ?? environment
        name = name ?? other.name
        created = created ?? other.created
        expires = other.expires ?? expires
        if let used = other.lastUsed { lastUsed = max(lastUsed ?? used, used) }
        algorithm = algorithm ?? other.algorithm
        keySize = keySize ?? other.keySize
        certificate = certificate ?? other.certificate
        managedBySignet = managedBySignet || other.managedBySignet
        encrypted = encrypted && other.encrypted
        if other.status != .active { status = other.status }
        for privilege in other.privileges where !privileges.contains(privilege) { privileges.append(privilege) }
        for note in other.notes where !notes.contains(note) { notes.append(note) }
        attributes.merge(other.attributes) { _, new in new }
        // Who may replace an owner: never over a manual one; a rule never over what a source said.
        if let newOwner = other.owner, ownerSource != "manual",
            owner == nil || Self.ownerRank(other.ownerSource) >= Self.ownerRank(ownerSource)
        {
            owner = newOwner
            ownerSource = other.ownerSource
        }
        for location in other.locations {
            if let index = locations.firstIndex(where: {
                $0.type == location.type && $0.target == location.target && $0.line == location.line
                    && $0.commit == location.commit
            }) {
                locations[index].firstSeen = min(locations[index].firstSeen, location.firstSeen)
                locations[index].lastSeen = max(locations[index].lastSeen, location.lastSeen)
            } else {
                locations.append(location)
            }
        }
    }

    enum CodingKeys: String, CodingKey {
        case id, kind, fingerprint, preview, detector, locations, owner, purpose, environment, created, expires
        case lastUsed = "last_used"
        case algorithm
        case keySize = "key_size"
        case certificate, privileges
        case managedBySignet = "managed_by_signet"
        case encrypted, status, name, attributes, notes
        case ownerSource = "owner_source"
        case riskScore = "risk_score"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decode(Kind.self, forKey: .kind)
        fingerprint = try c.decode(String.self, forKey: .fingerprint)
        id = try c.decodeIfPresent(String.self, forKey: .id) ?? Self.stableID(kind: kind, fingerprint: fingerprint)
        preview = try c.decodeIfPresent(String.self, forKey: .preview)
        detector = try c.decodeIfPresent(String.self, forKey: .detector)
        locations = try c.decodeIfPresent([Location].self, forKey: .locations) ?? []
        owner = try c.decodeIfPresent(String.self, forKey: .owner)
        purpose = try c.decodeIfPresent(String.self, forKey: .purpose)
        environment = try c.decodeIfPresent(String.self, forKey: .environment)
        created = try c.decodeIfPresent(Date.self, forKey: .created)
        expires = try c.decodeIfPresent(Date.self, forKey: .expires)
        lastUsed = try c.decodeIfPresent(Date.self, forKey: .lastUsed)
        algorithm = try c.decodeIfPresent(String.self, forKey: .algorithm)
        keySize = try c.decodeIfPresent(Int.self, forKey: .keySize)
        certificate = try c.decodeIfPresent(CertificateFacts.self, forKey: .certificate)
        privileges = try c.decodeIfPresent([String].self, forKey: .privileges) ?? []
        managedBySignet = try c.decodeIfPresent(Bool.self, forKey: .managedBySignet) ?? false
        encrypted = try c.decodeIfPresent(Bool.self, forKey: .encrypted) ?? false
        status = try c.decodeIfPresent(Status.self, forKey: .status) ?? .active
        name = try c.decodeIfPresent(String.self, forKey: .name)
        attributes = try c.decodeIfPresent([String: String].self, forKey: .attributes) ?? [:]
        notes = try c.decodeIfPresent([String].self, forKey: .notes) ?? []
        ownerSource = try c.decodeIfPresent(String.self, forKey: .ownerSource)
        riskScore = try c.decodeIfPresent(Int.self, forKey: .riskScore) ?? 0
    }
}
