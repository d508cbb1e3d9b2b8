import Crypto
import Foundation
import SignetCore
import Testing

@testable import SignetPKI

@Suite("JWT signing and round-trip")
struct JWTSigningTests {
    typealias F = JWTFixture

    @Test("sign then verify round-trips for every algorithm", arguments: JWTAlgorithm.allCases)
    func roundTrip(algorithm: JWTAlgorithm) throws {
        let key = F.key(algorithm)
        let claims = F.claims()
        let token = JWTSigner.sign(claims: claims, key: key)
        let verified = try F.defaultVerifier.verify(token: token, audience: F.audience)
        #expect(verified.claims == claims)
        #expect(verified.header == JWTHeader(algorithm: algorithm, kid: key.kid, type: "JWT"))
        #expect(verified.spiffeID == (try SPIFFEID(F.subject)))
        #expect(verified.expiry == claims.exp)
    }

    @Test("protected header is exactly alg, kid, typ")
    func headerShape() throws {
        let token = JWTSigner.sign(claims: F.claims(), key: F.es256)
        let header = token.split(separator: ".")[0]
        let json = String(decoding: Base64URL.decode(header)!, as: UTF8.self)
        #expect(json == #"{"alg":"ES256","kid":"es256","typ":"JWT"}"#)
    }

    @Test("kid with JSON metacharacters is escaped in the cached header")
    func kidEscaping() throws {
        let key = try JWTSigningKey(pem: F.es256.pemRepresentation, algorithm: .es256, kid: #"a"b\c"#)
        let token = JWTSigner.sign(claims: F.claims(), key: key)
        let verifier = F.verifier([key.publicKey])
        let verified = try verifier.verify(token: token, audience: F.audience)
        #expect(verified.header.kid == #"a"b\c"#)
    }

    @Test("ECDSA signatures are raw r||s of the JOSE length", arguments: [JWTAlgorithm.es256, .es384, .es512])
    func ecdsaSignatureForm(algorithm: JWTAlgorithm) throws {
        let token = JWTSigner.sign(claims: F.claims(), key: F.key(algorithm))
        let signature = Base64URL.decode(token.split(separator: ".")[2])!
        #expect(signature.count == algorithm.ecdsaSignatureLength)
    }

    @Test("one audience is a JSON string, several are an array; extra claims survive")
    func audienceEncodingAndExtras() throws {
        var one = F.claims()
        one.extra = ["tenant": .string("blue"), "n": .number(3), "flags": .array([.bool(true), .null])]
        let single = try JWTVerifier.decodeUnverified(JWTSigner.sign(claims: one, key: F.es256))
        #expect(single.payload["aud"] == .string(F.audience))
        #expect(single.payload["tenant"] == .string("blue"))
        #expect(single.payload["n"] == .number(3))

        let many = F.claims(aud: ["a", F.audience])
        let token = JWTSigner.sign(claims: many, key: F.es256)
        #expect(try JWTVerifier.decodeUnverified(token).payload["aud"] == .array([.string("a"), .string(F.audience)]))
        let verified = try F.defaultVerifier.verify(token: token, audience: F.audience)
        #expect(verified.claims == many)

        let withExtras = try F.defaultVerifier.verify(
            token: JWTSigner.sign(claims: one, key: F.es256), audience: F.audience)
        #expect(withExtras.claims == one)
    }

    @Test("extra entries named like registered claims never override them")
    func extraCannotOverrideRegistered() throws {
        var claims = F.claims()
        claims.extra = ["sub": .string("spiffe://evil.org/x"), "exp": .number(9_999_999_999)]
        let token = JWTSigner.sign(claims: claims, key: F.es256)
        let decoded = try JWTVerifier.decodeUnverified(token)
        #expect(decoded.payload["sub"] == .string(F.subject))
        #expect(decoded.payload["exp"] == .number(claims.exp.timeIntervalSince1970))
    }

    @Test("claims times are whole seconds and jti defaults to a fresh random value")
    func claimDefaults() {
        let a = JWTClaims(sub: F.subject, aud: [F.audience], exp: Date(timeIntervalSince1970: 10.9), iat: F.now)
        let b = JWTClaims(sub: F.subject, aud: [F.audience], exp: Date(timeIntervalSince1970: 10.9), iat: F.now)
        #expect(a.exp == Date(timeIntervalSince1970: 10))
        #expect(a.jti != nil && a.jti != b.jti)
        #expect(a.jti?.count == 22)
    }

    @Test("generated keys have the specified sizes and thumbprint kids")
    func generatedKeys() throws {
        #expect(F.es256.publicKey.family == .p256)
        #expect(F.es384.publicKey.family == .p384)
        #expect(F.es512.publicKey.family == .p521)
        #expect(F.es512.publicKey.keySizeInBits == 521)
        #expect(F.key(.rs256).publicKey.keySizeInBits == 3072)
        #expect(F.key(.ps512).publicKey.family == .rsa)
        let unnamed = try JWTSigningKey.generate(.es256)
        #expect(unnamed.kid == unnamed.publicKey.thumbprint)
        #expect(unnamed.kid.count == 43)
        #expect(unnamed.publicKey.pinnedAlgorithm == .es256)
    }

    @Test("PEM is PKCS#8 and reloads to the same key", arguments: JWTAlgorithm.allCases)
    func pemRoundTrip(algorithm: JWTAlgorithm) throws {
        let key = F.key(algorithm)
        #expect(key.pemRepresentation.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        let reloaded = try JWTSigningKey(pem: key.pemRepresentation, algorithm: algorithm, kid: key.kid)
        #expect(reloaded.publicKey == key.publicKey)
        let token = JWTSigner.sign(claims: F.claims(), key: reloaded)
        _ = try F.defaultVerifier.verify(token: token, audience: F.audience)
    }

    @Test("PEM of the wrong family or an empty kid is refused")
    func pemRejections() {
        #expect(throws: JWTKeyError.self) {
            try JWTSigningKey(pem: F.rsaPEM, algorithm: .es256, kid: "x")
        }
        #expect(throws: JWTKeyError.self) {
            try JWTSigningKey(pem: F.es256.pemRepresentation, algorithm: .es384, kid: "x")
        }
        #expect(throws: JWTKeyError.self) {
            try JWTSigningKey(pem: F.es256.pemRepresentation, algorithm: .rs256, kid: "x")
        }
        #expect(throws: JWTKeyError.missingKeyID) {
            try JWTSigningKey(pem: F.es256.pemRepresentation, algorithm: .es256, kid: "")
        }
        #expect(throws: JWTKeyError.self) {
            try JWTSigningKey(pem: "not a pem", algorithm: .ps256, kid: "x")
        }
    }

    @Test("decodeUnverified shows claims of a token verify rejects")
    func decodeUnverified() throws {
        let expired = F.claims(exp: F.now.addingTimeInterval(-3600), iat: F.now.addingTimeInterval(-7200))
        let token = JWTSigner.sign(claims: expired, key: F.es256)
        #expect(F.rejection(token) == .expired(expiry: expired.exp, now: F.now))
        let decoded = try JWTVerifier.decodeUnverified(token)
        #expect(decoded.header["kid"] == .string("es256"))
        #expect(try decoded.claims() == expired)
        #expect(decoded.signature.count == 64)
    }
}
