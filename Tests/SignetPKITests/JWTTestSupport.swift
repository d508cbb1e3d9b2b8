import Foundation
import SignetCore
import Testing

@testable import SignetPKI

/// Shared keys and helpers for the JWT tests. Keys are generated once per process:
/// RSA-3072 generation is slow in debug builds, so every RS*/PS* test reuses one RSA key.
enum JWTFixture {
    static let now = Date(timeIntervalSince1970: 1_750_000_000)
    static let trustDomain = try! TrustDomain("example.org")
    static let subject = "spiffe://example.org/ns/prod/sa/web"
    static let audience = "spiffe://example.org/db"

    static let es256 = try! JWTSigningKey.generate(.es256, kid: "es256")
    static let es384 = try! JWTSigningKey.generate(.es384, kid: "es384")
    static let es512 = try! JWTSigningKey.generate(.es512, kid: "es512")
    static let rsaPEM = try! JWTSigningKey.generate(.rs256, kid: "rs256").pemRepresentation

    /// A signing key of any algorithm; RSA algorithms share one RSA key under distinct kids.
    static func key(_ algorithm: JWTAlgorithm) -> JWTSigningKey {
        switch algorithm {
        case .es256: es256
        case .es384: es384
        case .es512: es512
        default: rsaKeys[algorithm]!
        }
    }

    static let rsaKeys: [JWTAlgorithm: JWTSigningKey] = Dictionary(
        uniqueKeysWithValues: [JWTAlgorithm.rs256, .rs384, .rs512, .ps256, .ps384, .ps512].map {
            ($0, try! JWTSigningKey(pem: rsaPEM, algorithm: $0, kid: $0.rawValue.lowercased()))
        })

    static let defaultVerifier = verifier()

    static func claims(
        sub: String = subject, aud: [String] = [audience], exp: Date = now.addingTimeInterval(300),
        iat: Date = now, nbf: Date? = nil
    ) -> JWTClaims {
        JWTClaims(sub: sub, aud: aud, exp: exp, iat: iat, nbf: nbf, jti: "jti-1")
    }

    static func verifier(_ keys: [JWTPublicKey]? = nil, leeway: TimeInterval = 30) -> JWTVerifier {
        let keys = keys ?? JWTAlgorithm.allCases.map { key($0).publicKey }
        return try! JWTVerifier(trustDomain: trustDomain, keys: keys, leeway: leeway, clock: { now })
    }

    static func b64(_ text: String) -> String { Base64URL.encode(Array(text.utf8)) }

    /// A standard valid payload as JSON text, with `exp` 5 minutes after `now`.
    static var payloadJSON: String {
        #"{"sub":"\#(subject)","aud":"\#(audience)","exp":\#(Int(now.timeIntervalSince1970) + 300),"iat":\#(Int(now.timeIntervalSince1970))}"#
    }

    static func header(alg: String = "ES256", kid: String = "es256") -> String {
        #"{"alg":"\#(alg)","kid":"\#(kid)","typ":"JWT"}"#
    }

    /// Assembles a token from raw header and payload JSON text and arbitrary signature bytes.
    static func forge(header: String, payload: String, signature: [UInt8]) -> String {
        "\(b64(header)).\(b64(payload)).\(Base64URL.encode(signature))"
    }

    /// Signs raw header and payload JSON text with a real key: lets tests build hostile
    /// tokens that are correctly signed, so only the rule under test can reject them.
    static func signRaw(header: String, payload: String, key: JWTSigningKey) -> String {
        let input = "\(b64(header)).\(b64(payload))"
        let signature = try! key.signature(for: Array(input.utf8))
        return "\(input).\(Base64URL.encode(signature))"
    }

    /// The error `verify` throws, or nil if it accepted the token.
    static func rejection(
        _ token: String, audience: String = audience, verifier: JWTVerifier = defaultVerifier
    ) -> JWTValidationError? {
        do {
            _ = try verifier.verify(token: token, audience: audience)
            return nil
        } catch {
            return error
        }
    }
}
