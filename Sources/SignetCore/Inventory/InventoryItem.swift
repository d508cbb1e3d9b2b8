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

    public init(
        kind: Kind, fingerprint: String, preview: String? = nil, detector: String? = nil, locations: [Location],
        owner: String? = nil, purpose: String? = nil, environment: String? = nil, created: Date? = nil,
        expires: Date? = nil, lastUsed: Date? = nil, algorithm: String? = nil, keySize: Int? = nil,
        certificate: CertificateFacts? = nil, privileges: [String] = [], managedBySignet: Bool = false,
        encrypted: Bool = false, status: Status = .active
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
    }

    /// The same credential found twice yields the same id, whatever the location.
    public static func stableID(kind: Kind, fingerprint: String) -> String {
        kind.rawValue + ":" + fingerprint
    }

    /// Merges another sighting of the same credential: locations are united (by type, target, line,
    /// commit), keeping the earliest first-seen and latest last-seen of each.
    public mutating func merge(_ other: InventoryItem) {
        precondition(other.id == id, "only sightings of the same credential merge")
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
        case encrypted, status
    }
}
