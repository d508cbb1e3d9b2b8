import Foundation
import Hummingbird
import SignetCore
import SignetStore

/// `/v1/oauth-clients`: register, list, show and delete clients of the `client_credentials` grant.
struct OAuthClientRoutes {
    let authority: SignetAuthority

    func register(on group: RouterGroup<SignetRequestContext>) {
        group.post("oauth-clients") { request, context in
            let body = try await request.decode(as: OAuthClientInput.self, context: context)
            let client = try await authority.createOAuthClient(try body.spec(), actor: context.actor)
            return try APIJSON.response(client, status: .created)
        }
        group.get("oauth-clients") { _, _ in
            try APIJSON.response(OAuthClientList(clients: try await authority.store.listOAuthClients()))
        }
        group.get("oauth-clients/{id}") { _, context in
            let id = try context.parameters.require("id")
            return try APIJSON.response(try await authority.oauthClient(id: id))
        }
        group.delete("oauth-clients/{id}") { _, context in
            let id = try context.parameters.require("id")
            return try APIJSON.response(try await authority.deleteOAuthClient(id: id, actor: context.actor))
        }
    }
}

struct OAuthClientList: Encodable {
    let clients: [OAuthClient]
}

/// The JSON body of `POST /v1/oauth-clients`.
struct OAuthClientInput: Decodable {
    var clientID: String?
    var method: String?
    var jwks: String?
    var tlsClientAuthSANURI: String?
    var spiffeID: String?
    var audiences: [String]?
    var maxTTL: FlexibleDuration?
    var owner: String?
    var purpose: String?

    enum CodingKeys: String, CodingKey {
        case clientID = "client_id"
        case method, jwks
        case tlsClientAuthSANURI = "tls_client_auth_san_uri"
        case spiffeID = "spiffe_id"
        case audiences
        case maxTTL = "max_ttl"
        case owner, purpose
    }

    func spec() throws -> OAuthClientSpec {
        guard let clientID else { throw APIError.badRequest("client_id is required") }
        guard let method else { throw APIError.badRequest("method is required: private_key_jwt or tls_client_auth") }
        guard let spiffeID else { throw APIError.badRequest("spiffe_id is required: the identity issued tokens name") }
        return OAuthClientSpec(
            clientID: clientID, method: method, jwks: jwks, tlsClientAuthSANURI: tlsClientAuthSANURI,
            spiffeID: spiffeID, audiences: audiences ?? [], maxTTL: maxTTL?.seconds, owner: owner ?? "",
            purpose: purpose ?? "")
    }
}
