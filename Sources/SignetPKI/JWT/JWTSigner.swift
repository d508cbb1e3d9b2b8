/// Mints compact JWS tokens (JWT-SVIDs).
///
/// Per token the only work is: build the payload JSON by hand, base64url it,
/// append it to the key's cached header, sign. No encoder objects, no key
/// re-encoding, so mint throughput stays close to raw signature throughput.
public enum JWTSigner {
    /// Signs `claims` with `key`: `base64url(header).base64url(payload).base64url(signature)`,
    /// header exactly `{"alg":…,"kid":…,"typ":"JWT"}`, ECDSA signatures in raw r||s form.
    ///
    /// Signing can only fail inside the crypto library (e.g. allocation failure); there is no
    /// meaningful recovery for one token, so that traps rather than making every mint `throws`.
    public static func sign(claims: JWTClaims, key: JWTSigningKey) -> String {
        sign(claims: claims, key: key, type: .jwt)
    }

    /// The `typ` header of a minted token.
    public enum TokenType: Sendable {
        /// `JWT`: JWT-SVIDs.
        case jwt
        /// `at+jwt`: RFC 9068 access tokens, so a resource server cannot mistake one for an ID token.
        case accessToken
    }

    /// Signs `claims` with `key` under the header `{"alg":…,"kid":…,"typ":…}` for `type`.
    public static func sign(claims: JWTClaims, key: JWTSigningKey, type: TokenType) -> String {
        var token = type == .jwt ? key.headerPrefix : key.accessTokenHeaderPrefix
        token += Base64URL.encode(Array(claims.jsonPayload().utf8))
        let signature: [UInt8]
        do {
            signature = try key.signature(for: Array(token.utf8))
        } catch {
            preconditionFailure("\(key.algorithm.rawValue) signing failed inside the crypto library: \(error)")
        }
        token += "."
        token += Base64URL.encode(signature)
        return token
    }
}
