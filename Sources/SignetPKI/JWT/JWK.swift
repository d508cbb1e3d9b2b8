import Foundation

/// A JSON Web Key (RFC 7517) as it appears in a JWKS or SPIFFE bundle.
///
/// This is the wire shape only; `JWTPublicKey(jwk:)` is where a JWK is
/// validated and turned into something that can verify. Decoding refuses
/// private-key members (`d`, `p`, `q`, `dp`, `dq`, `qi`, `oth`, `k`): a public
/// key set that carries them has leaked a secret and must not be trusted.
/// Encode with `JSONEncoder` (absent members are omitted); `.sortedKeys` gives stable output.
public struct JWK: Codable, Sendable, Hashable {
    public var kty: String
    public var kid: String?
    public var use: String?
    public var alg: String?
    public var crv: String?
    public var x: String?
    public var y: String?
    public var n: String?
    public var e: String?
    /// Certificate chain (base64 DER, not base64url), used by SPIFFE bundles for X.509 authorities.
    public var x5c: [String]?

    public init(
        kty: String, kid: String? = nil, use: String? = nil, alg: String? = nil,
        crv: String? = nil, x: String? = nil, y: String? = nil,
        n: String? = nil, e: String? = nil, x5c: [String]? = nil
    ) {
        self.kty = kty
        self.kid = kid
        self.use = use
        self.alg = alg
        self.crv = crv
        self.x = x
        self.y = y
        self.n = n
        self.e = e
        self.x5c = x5c
    }

    enum CodingKeys: String, CodingKey {
        case kty, kid, use, alg, crv, x, y, n, e, x5c
    }

    private enum PrivateMemberKeys: String, CodingKey, CaseIterable {
        case d, p, q, dp, dq, qi, oth, k
    }

    public init(from decoder: any Decoder) throws {
        let secrets = try decoder.container(keyedBy: PrivateMemberKeys.self)
        if let leaked = PrivateMemberKeys.allCases.first(where: { secrets.contains($0) }) {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: decoder.codingPath,
                    debugDescription:
                        "JWK contains private key member '\(leaked.rawValue)'; a key set must hold public keys only"))
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        kty = try container.decode(String.self, forKey: .kty)
        kid = try container.decodeIfPresent(String.self, forKey: .kid)
        use = try container.decodeIfPresent(String.self, forKey: .use)
        alg = try container.decodeIfPresent(String.self, forKey: .alg)
        crv = try container.decodeIfPresent(String.self, forKey: .crv)
        x = try container.decodeIfPresent(String.self, forKey: .x)
        y = try container.decodeIfPresent(String.self, forKey: .y)
        n = try container.decodeIfPresent(String.self, forKey: .n)
        e = try container.decodeIfPresent(String.self, forKey: .e)
        x5c = try container.decodeIfPresent([String].self, forKey: .x5c)
    }
}
