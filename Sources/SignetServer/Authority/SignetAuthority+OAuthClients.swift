import Foundation
import SignetCore
import SignetPKI
import SignetStore

/// What an admin asks for when registering an OAuth client (`POST /v1/oauth-clients`),
/// before it is checked. Kept apart from ``OAuthClient`` so that every refusal can name
/// the field at fault instead of surfacing as a decoding error.
public struct OAuthClientSpec: Sendable, Hashable {
    public var clientID: String
    /// `private_key_jwt` or `tls_client_auth`.
    public var method: String
    /// JWKS text (public keys only) for `private_key_jwt`.
    public var jwks: String?
    /// The SPIFFE ID the client's X.509-SVID must carry, for `tls_client_auth`.
    public var tlsClientAuthSANURI: String?
    public var spiffeID: String
    public var audiences: [String]
    /// Seconds; nil means the policy's JWT maximum.
    public var maxTTL: Int?
    public var owner: String
    public var purpose: String

    public init(
        clientID: String, method: String, jwks: String? = nil, tlsClientAuthSANURI: String? = nil, spiffeID: String,
        audiences: [String], maxTTL: Int? = nil, owner: String, purpose: String
    ) {
        self.clientID = clientID
        self.method = method
        self.jwks = jwks
        self.tlsClientAuthSANURI = tlsClientAuthSANURI
        self.spiffeID = spiffeID
        self.audiences = audiences
        self.maxTTL = maxTTL
        self.owner = owner
        self.purpose = purpose
    }
}

/// OAuth client registration for the `client_credentials` grant. A client is
/// checked completely before it is stored (its JWKS is parsed exactly as the
/// token endpoint will parse it), and stored with its audit event in one
/// transaction. Clients are immutable: to change one, delete and re-create it,
/// so a client's key or identity never changes under an existing name silently.
extension SignetAuthority {
    /// Longest accepted client id; ids appear in URLs and events.
    static let maxClientIDLength = 128

    public func createOAuthClient(_ spec: OAuthClientSpec, actor: String) async throws -> OAuthClient {
        let client = try checkedOAuthClient(spec, actor: actor, now: Date())
        if try await store.oauthClient(id: client.id) != nil {
            throw APIError.conflict(
                "an OAuth client with id \(client.id) exists; delete it first (`signet client delete \(client.id)`) or choose another id")
        }
        var details = [
            "client_id": client.id, "method": client.authentication.methodName,
            "spiffe_id": client.spiffeID.description, "audiences": client.audiences.joined(separator: ","),
            "max_ttl": "\(client.maxTTL)", "owner": client.owner,
        ]
        switch client.authentication {
        case .privateKeyJWT(let jwks):
            // Key ids are public and tell an auditor which keys were registered.
            details["kids"] = ((try? PinnedJWKS.parse(jwks, field: "jwks")) ?? []).map(\.kid).joined(separator: ",")
        case .tlsClientAuth(let sanURI):
            details["tls_client_auth_san_uri"] = sanURI.description
        }
        let event = AuditEvent(
            actor: actor, action: "oauth.client.create", subject: client.id, outcome: .success, details: details)
        try await store.createOAuthClient(client, event: event)
        return client
    }

    public func oauthClient(id: String) async throws -> OAuthClient {
        guard let client = try await store.oauthClient(id: id) else {
            throw APIError.notFound("no OAuth client with id \(id); list clients with `signet client list`")
        }
        return client
    }

    public func deleteOAuthClient(id: String, actor: String) async throws -> OAuthClient {
        let existing = try await oauthClient(id: id)
        let event = AuditEvent(
            actor: actor, action: "oauth.client.delete", subject: existing.id, outcome: .success,
            details: [
                "client_id": existing.id, "method": existing.authentication.methodName,
                "spiffe_id": existing.spiffeID.description,
            ])
        return try await store.deleteOAuthClient(id: existing.id, event: event)
    }

    /// Every structural rule a client must meet; throws a 400 naming the field, or a 422 for a policy limit.
    func checkedOAuthClient(_ spec: OAuthClientSpec, actor: String, now: Date) throws -> OAuthClient {
        let id = spec.clientID
        guard !id.isEmpty, id.count <= Self.maxClientIDLength, id.first?.isLetter == true || id.first?.isNumber == true,
            id.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._:-".unicodeScalars.contains($0)) })
        else {
            throw APIError.badRequest(
                "client_id '\(id)' is not valid: use 1-\(Self.maxClientIDLength) characters A-Z a-z 0-9 . _ : - starting with a letter or digit")
        }
        let authentication: OAuthClient.Authentication
        switch spec.method {
        case "private_key_jwt":
            guard spec.tlsClientAuthSANURI == nil else {
                throw APIError.badRequest("tls_client_auth_san_uri belongs to method tls_client_auth; private_key_jwt takes jwks")
            }
            guard let jwks = spec.jwks else {
                throw APIError.badRequest("method private_key_jwt needs jwks: the client's public keys as a JWKS document")
            }
            _ = try PinnedJWKS.parse(jwks, field: "jwks")
            authentication = .privateKeyJWT(jwks: jwks)
        case "tls_client_auth":
            guard spec.jwks == nil else {
                throw APIError.badRequest("jwks belongs to method private_key_jwt; tls_client_auth takes tls_client_auth_san_uri")
            }
            guard let san = spec.tlsClientAuthSANURI else {
                throw APIError.badRequest(
                    "method tls_client_auth needs tls_client_auth_san_uri: the SPIFFE ID in the client's X.509-SVID")
            }
            let sanURI = try SPIFFEID(san)
            guard sanURI.trustDomain == trustDomain else {
                throw APIError.badRequest(
                    "tls_client_auth_san_uri \(sanURI) is not in trust domain \(trustDomain): only X.509-SVIDs this server issued authenticate clients")
            }
            authentication = .tlsClientAuth(sanURI: sanURI)
        default:
            throw APIError.badRequest("method '\(spec.method)' is not supported: use private_key_jwt or tls_client_auth")
        }
        let spiffeID = try SPIFFEID(spec.spiffeID)
        guard spiffeID.trustDomain == trustDomain else {
            throw APIError.badRequest(
                "spiffe_id \(spiffeID) is not in trust domain \(trustDomain): issued tokens name identities of this trust domain")
        }
        if spiffeID.path == GovernancePolicy.reservedPathPrefix || spiffeID.path.hasPrefix(GovernancePolicy.reservedPathPrefix + "/") {
            throw APIError.badRequest("spiffe_id \(spiffeID) is under \(GovernancePolicy.reservedPathPrefix)/, which is reserved for Signet itself")
        }
        let audiences = try Self.checkedAudiences(spec.audiences)
        let maxTTL = spec.maxTTL ?? policy.maxJWTTTL
        guard maxTTL > 0 else { throw APIError.badRequest("max_ttl must be a positive number of seconds") }
        guard maxTTL <= policy.maxJWTTTL else {
            throw APIError.policy([
                "max_ttl \(Lifetime.format(maxTTL)) exceeds the JWT policy maximum \(Lifetime.format(policy.maxJWTTTL)); lower it or raise [jwt] max_ttl"
            ])
        }
        let owner = spec.owner.trimmingCharacters(in: .whitespaces)
        let purpose = spec.purpose.trimmingCharacters(in: .whitespaces)
        guard !owner.isEmpty else { throw APIError.badRequest("owner is required: the team accountable for this client") }
        guard !purpose.isEmpty else { throw APIError.badRequest("purpose is required: what this client is for") }
        return OAuthClient(
            id: id, authentication: authentication, spiffeID: spiffeID, audiences: audiences, maxTTL: maxTTL,
            owner: owner, purpose: purpose, createdBy: actor, createdAt: now)
    }

    /// At least one audience, none empty, no duplicates (order kept).
    static func checkedAudiences(_ audiences: [String]) throws(APIError) -> [String] {
        guard !audiences.isEmpty else { throw APIError.badRequest("audiences needs at least one value") }
        var seen = Set<String>()
        for audience in audiences {
            guard !audience.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw APIError.badRequest("audiences must not contain an empty value")
            }
            guard seen.insert(audience).inserted else {
                throw APIError.badRequest("audience '\(audience)' is listed twice")
            }
        }
        return audiences
    }
}

/// A JWKS document supplied by an admin (a trust rule's pinned issuer keys, an OAuth
/// client's keys), parsed strictly, exactly as verification will parse it, so that a key set
/// that could never verify anything is refused when it is registered, not at first use.
enum PinnedJWKS {
    /// The keys of `text`, or a 400 naming `field` and what is wrong: not JSON, no `keys`,
    /// a private-key member (`d`, ...), an unsupported or malformed key, a missing or duplicate `kid`.
    static func parse(_ text: String, field: String) throws(APIError) -> [JWTPublicKey] {
        do {
            return try JWKSet.parse(text, mode: .strict).keys
        } catch {
            throw APIError.badRequest("\(field): \(error.description)")
        }
    }
}
