import Foundation

/// Trust in another SPIFFE trust domain: where to fetch its bundle and how to
/// authenticate that endpoint (SPIFFE Federation, profiles `https_web` and
/// `https_spiffe`).
///
/// The trust domain and profile come from this configuration, never from the
/// URL or from the fetched document, and the peer's bundle is kept beside its
/// trust domain, never merged with another domain's.
public struct FederationRelationship: Hashable, Sendable, Codable {
    public var trustDomain: TrustDomain
    /// `https://` URL of the peer's bundle endpoint.
    public var bundleEndpointURL: String
    public var profile: Profile
    /// For `https_spiffe`: the peer's bundle (SPIFFE bundle JSON) used to authenticate the endpoint
    /// until a first fetch succeeds; afterwards the newest fetched bundle is used.
    public var bootstrapBundle: String?
    public var createdBy: String
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        trustDomain: TrustDomain, bundleEndpointURL: String, profile: Profile, bootstrapBundle: String? = nil,
        createdBy: String, createdAt: Date = Date(), updatedAt: Date? = nil
    ) {
        self.trustDomain = trustDomain
        self.bundleEndpointURL = bundleEndpointURL
        self.profile = profile
        self.bootstrapBundle = bootstrapBundle
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
    }

    /// How the bundle endpoint's server is authenticated.
    public enum Profile: Hashable, Sendable, Codable {
        /// Web PKI: the system trust store (or a configured CA file), certificate matching the host.
        case httpsWeb
        /// The endpoint presents an X.509-SVID with exactly this SPIFFE ID, verified against the peer's bundle.
        case httpsSPIFFE(endpointSPIFFEID: SPIFFEID)

        public var name: String {
            switch self {
            case .httpsWeb: "https_web"
            case .httpsSPIFFE: "https_spiffe"
            }
        }

        enum CodingKeys: String, CodingKey {
            case name
            case endpointSPIFFEID = "endpoint_spiffe_id"
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            switch try container.decode(String.self, forKey: .name) {
            case "https_web": self = .httpsWeb
            case "https_spiffe":
                self = .httpsSPIFFE(endpointSPIFFEID: try container.decode(SPIFFEID.self, forKey: .endpointSPIFFEID))
            case let other:
                throw DecodingError.dataCorruptedError(
                    forKey: .name, in: container, debugDescription: "unknown profile '\(other)' (https_web or https_spiffe)")
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            if case .httpsSPIFFE(let id) = self { try container.encode(id, forKey: .endpointSPIFFEID) }
        }
    }

    enum CodingKeys: String, CodingKey {
        case trustDomain = "trust_domain"
        case bundleEndpointURL = "bundle_endpoint_url"
        case profile
        case bootstrapBundle = "bootstrap_bundle"
        case createdBy = "created_by"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }
}

/// The newest bundle fetched from a federated trust domain, and how fetching it went.
public struct FederatedBundle: Hashable, Sendable, Codable {
    public var trustDomain: TrustDomain
    /// The SPIFFE bundle document as fetched (JWK Set with `spiffe_sequence`, `spiffe_refresh_hint`);
    /// nil until a first fetch succeeds.
    public var bundleJSON: String?
    public var sequence: Int64?
    /// Seconds between polls the peer asked for.
    public var refreshHint: Int?
    /// When ``bundleJSON`` was fetched.
    public var fetchedAt: Date?
    public var lastAttemptAt: Date?
    /// Why the last attempt failed, nil after a success.
    public var lastError: String?

    public init(
        trustDomain: TrustDomain, bundleJSON: String? = nil, sequence: Int64? = nil, refreshHint: Int? = nil,
        fetchedAt: Date? = nil, lastAttemptAt: Date? = nil, lastError: String? = nil
    ) {
        self.trustDomain = trustDomain
        self.bundleJSON = bundleJSON
        self.sequence = sequence
        self.refreshHint = refreshHint
        self.fetchedAt = fetchedAt
        self.lastAttemptAt = lastAttemptAt
        self.lastError = lastError
    }

    enum CodingKeys: String, CodingKey {
        case trustDomain = "trust_domain"
        case bundleJSON = "bundle"
        case sequence
        case refreshHint = "refresh_hint"
        case fetchedAt = "fetched_at"
        case lastAttemptAt = "last_attempt_at"
        case lastError = "last_error"
    }
}
