import Foundation
import Hummingbird
import SignetCore
import SignetPKI

/// `POST /v1/svids/jwt` mints a JWT-SVID; `POST /v1/jwt/validate` checks one with the same
/// verifier every other part of Signet uses.
struct JWTSVIDRoutes {
    let authority: SignetAuthority

    struct MintInput: Decodable {
        var spiffeID: String
        var audience: Audience
        var ttl: FlexibleDuration?
        enum CodingKeys: String, CodingKey {
            case spiffeID = "spiffe_id"
            case audience, ttl
        }
    }

    /// `"aud"` or `["a", "b"]`.
    struct Audience: Decodable {
        let values: [String]
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let one = try? c.decode(String.self) { values = [one] } else { values = try c.decode([String].self) }
        }
    }

    struct MintOutput: Encodable {
        let token: String
        let spiffeID: String
        let audience: [String]
        let expiresAt: Date
        let entryID: String
        enum CodingKeys: String, CodingKey {
            case token
            case spiffeID = "spiffe_id"
            case audience
            case expiresAt = "expires_at"
            case entryID = "entry_id"
        }
    }

    struct ValidateInput: Decodable {
        var token: String
        var audience: String
    }

    struct ValidateOutput: Encodable {
        let spiffeID: String
        let claims: [String: JSONValue]
        enum CodingKeys: String, CodingKey {
            case spiffeID = "spiffe_id"
            case claims
        }
    }

    func register(on group: RouterGroup<SignetRequestContext>) {
        group.post("svids/jwt") { request, context in
            let input = try await request.decode(as: MintInput.self, context: context)
            let minted = try await authority.mintJWTSVID(
                spiffeID: try SPIFFEID(input.spiffeID), audience: input.audience.values,
                requestedTTL: input.ttl?.seconds, actor: context.actor)
            return try APIJSON.response(
                MintOutput(
                    token: minted.token, spiffeID: minted.claims.sub, audience: minted.claims.aud,
                    expiresAt: minted.claims.exp, entryID: minted.entryID),
                extraHeaders: [.cacheControl: "no-store"])
        }
        group.post("jwt/validate") { request, context in
            let input = try await request.decode(as: ValidateInput.self, context: context)
            // This trust domain's keys, or a federated domain's own keys for its tokens (never merged).
            let verifier = try authority.jwtVerifier(forToken: input.token)
            do {
                let verified = try verifier.verify(token: input.token, audience: input.audience)
                return try APIJSON.response(
                    ValidateOutput(spiffeID: verified.spiffeID.description, claims: Self.claimMap(verified.claims)))
            } catch {
                throw APIError(.badRequest, "invalid_token", "\(error)")
            }
        }
    }

    /// The claims as a JSON object, as the Workload API's ValidateJWTSVID returns them.
    static func claimMap(_ claims: JWTClaims) -> [String: JSONValue] {
        var map = claims.extra
        map["sub"] = .string(claims.sub)
        map["aud"] = .array(claims.aud.map { .string($0) })
        map["exp"] = .number(claims.exp.timeIntervalSince1970)
        if let iat = claims.iat { map["iat"] = .number(iat.timeIntervalSince1970) }
        if let nbf = claims.nbf { map["nbf"] = .number(nbf.timeIntervalSince1970) }
        if let iss = claims.iss { map["iss"] = .string(iss) }
        if let jti = claims.jti { map["jti"] = .string(jti) }
        return map
    }
}
