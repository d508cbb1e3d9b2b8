import Foundation

/// A registered OAuth client for the `client_credentials` grant: how legacy
/// APIs that only speak OAuth get a short-lived, audience-bound access token
/// for a workload identity, without a shared secret.
///
/// A client authenticates either with a JWT assertion signed by a registered
/// key (`private_key_jwt`, RFC 7523) or with an X.509-SVID over mTLS
/// (`tls_client_auth`, RFC 8705); there are no client secrets.
public struct OAuthClient: Hashable, Sendable, Codable {
    /// The `client_id`.
    public var id: String
    public var authentication: Authentication
    /// The identity issued tokens carry as `sub`.
    public var spiffeID: SPIFFEID
    /// Audiences the client may request (at least one); a request for any other is `invalid_target`.
    public var audiences: [String]
    /// Upper bound for issued token lifetimes, in seconds.
    public var maxTTL: Int
    public var owner: String
    public var purpose: String
    public var createdBy: String
    public var createdAt: Date

    public init(
        id: String, authentication: Authentication, spiffeID: SPIFFEID, audiences: [String], maxTTL: Int,
        owner: String, purpose: String, createdBy: String, createdAt: Date = Date()
    ) {
        self.id = id
        self.authentication = authentication
        self.spiffeID = spiffeID
        self.audiences = audiences
        self.maxTTL = maxTTL
        self.owner = owner
        self.purpose = purpose
        self.createdBy = createdBy
        self.createdAt = createdAt
    }

    /// How the client proves it is itself.
    public enum Authentication: Hashable, Sendable, Codable {
        /// RFC 7523 `private_key_jwt`: assertions verified with this JWKS (public keys only).
        case privateKeyJWT(jwks: String)
        /// RFC 8705 `tls_client_auth`: an X.509-SVID whose URI SAN is exactly this SPIFFE ID.
        case tlsClientAuth(sanURI: SPIFFEID)

        /// The RFC 8414 / OIDC registration name of the method.
        public var methodName: String {
            switch self {
            case .privateKeyJWT: "private_key_jwt"
            case .tlsClientAuth: "tls_client_auth"
            }
        }

        enum CodingKeys: String, CodingKey {
            case method
            case jwks
            case sanURI = "tls_client_auth_san_uri"
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            switch try container.decode(String.self, forKey: .method) {
            case "private_key_jwt": self = .privateKeyJWT(jwks: try container.decode(String.self, forKey: .jwks))
            case "tls_client_auth": self = .tlsClientAuth(sanURI: try container.decode(SPIFFEID.self, forKey: .sanURI))
            case let other:
                throw DecodingError.dataCorruptedError(
                    forKey: .method, in: container,
                    debugDescription: "unknown method '\(other)' (private_key_jwt or tls_client_auth)")
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(methodName, forKey: .method)
            switch self {
            case .privateKeyJWT(let jwks): try container.encode(jwks, forKey: .jwks)
            case .tlsClientAuth(let sanURI): try container.encode(sanURI, forKey: .sanURI)
            }
        }
    }

    enum CodingKeys: String, CodingKey {
        case id = "client_id"
        case authentication
        case spiffeID = "spiffe_id"
        case audiences
        case maxTTL = "max_ttl"
        case owner, purpose
        case createdBy = "created_by"
        case createdAt = "created_at"
    }
}

/// A single-use token (a subject token, a client assertion) that was consumed,
/// remembered until it expires so that it cannot be presented again.
public struct TokenUse: Hashable, Sendable {
    /// A stable, non-secret key: the issuer and `jti`, or a hash of the whole token.
    public var key: String
    /// After this instant the token is invalid anyway and the record may be dropped.
    public var expiresAt: Date

    public init(key: String, expiresAt: Date) {
        self.key = key
        self.expiresAt = expiresAt
    }
}
