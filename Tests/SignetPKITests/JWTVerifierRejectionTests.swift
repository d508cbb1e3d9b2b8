import Crypto
import Foundation
import SignetCore
import Testing

@testable import SignetPKI

/// One test per rule of the verifier, each with a hand-built hostile token.
@Suite("JWT verifier rejections")
struct JWTVerifierRejectionTests {
    typealias F = JWTFixture

    /// A valid token, to be tampered with.
    var valid: String { JWTSigner.sign(claims: F.claims(), key: F.es256) }

    // MARK: Shape

    @Test("the untampered baseline is accepted")
    func baseline() {
        #expect(F.rejection(valid) == nil)
        #expect(F.rejection(F.signRaw(header: F.header(), payload: F.payloadJSON, key: F.es256)) == nil)
    }

    @Test("tokens over 16 KiB are rejected before parsing")
    func tooLarge() {
        var claims = F.claims()
        claims.extra = ["pad": .string(String(repeating: "x", count: 16 * 1024))]
        let token = JWTSigner.sign(claims: claims, key: F.es256)
        #expect(F.rejection(token) == .tokenTooLarge(length: token.utf8.count, limit: 16384))
    }

    @Test("not exactly three dot-separated parts")
    func partCount() {
        let parts = valid.split(separator: ".", omittingEmptySubsequences: false)
        #expect(F.rejection("") == .malformedToken(partCount: 1))
        #expect(F.rejection("\(parts[0]).\(parts[1])") == .malformedToken(partCount: 2))
        #expect(F.rejection(valid + ".") == .malformedToken(partCount: 4))
        #expect(F.rejection(valid + "." + parts[2]) == .malformedToken(partCount: 4))
    }

    @Test("base64url with padding or foreign characters")
    func badBase64URL() {
        let parts = valid.split(separator: ".").map(String.init)
        #expect(F.rejection("\(parts[0])=.\(parts[1]).\(parts[2])") == .invalidBase64URL(.header))
        #expect(F.rejection("\(parts[0]).\(parts[1])+.\(parts[2])") == .invalidBase64URL(.payload))
        #expect(F.rejection("\(parts[0]).\(parts[1]).\(parts[2])==") == .invalidBase64URL(.signature))
        #expect(F.rejection("\(parts[0]).\(parts[1]).\(parts[2].dropLast())/") == .invalidBase64URL(.signature))
        #expect(F.rejection(" \(valid)") == .invalidBase64URL(.header))
        #expect(F.rejection("\(valid)\n") == .invalidBase64URL(.signature))
    }

    @Test("header or payload JSON that is not an object")
    func notObjects() {
        #expect(F.rejection(F.forge(header: "[1]", payload: F.payloadJSON, signature: [1])) == .notJSONObject(.header))
        #expect(
            F.rejection(F.forge(header: #""ES256""#, payload: F.payloadJSON, signature: [1])) == .notJSONObject(.header)
        )
        guard case .invalidJSON(.header, _) = F.rejection(F.forge(header: "{", payload: F.payloadJSON, signature: [1]))
        else {
            Issue.record("truncated header JSON accepted")
            return
        }
        // Payload shape is checked after the signature, so sign a non-object payload properly.
        #expect(F.rejection(F.signRaw(header: F.header(), payload: "[]", key: F.es256)) == .notJSONObject(.payload))
        guard case .invalidJSON(.payload, _) = F.rejection(F.signRaw(header: F.header(), payload: "{,}", key: F.es256))
        else {
            Issue.record("invalid payload JSON accepted")
            return
        }
    }

    @Test("duplicate header members are rejected, not resolved")
    func duplicateHeaderMember() {
        let header = #"{"alg":"ES256","alg":"none","kid":"es256","typ":"JWT"}"#
        guard
            case .invalidJSON(.header, let reason) = F.rejection(
                F.signRaw(header: header, payload: F.payloadJSON, key: F.es256))
        else {
            Issue.record("duplicate alg accepted")
            return
        }
        #expect(reason.contains("duplicate member 'alg'"))
    }

    // MARK: Header

    @Test(
        "header parameters that let a token choose its key are rejected",
        arguments: [
            #""jwk":{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}"#, #""jku":"https://evil.example/jwks""#,
            #""x5u":"https://evil.example/cert""#, #""x5c":["MIIB"]"#, #""x5t":"abc""#, #""cty":"JWT""#,
            #""b64":false"#,
        ])
    func extraHeaderParameter(member: String) {
        let name = String(member.dropFirst().prefix(while: { $0 != "\"" }))
        let header = #"{"alg":"ES256","kid":"es256","typ":"JWT",\#(member)}"#
        let token = F.signRaw(header: header, payload: F.payloadJSON, key: F.es256)
        #expect(F.rejection(token) == .unsupportedHeaderParameter(name))
    }

    @Test("embedded jwk naming the attacker's own key is rejected")
    func embeddedAttackerJWK() throws {
        let attacker = try JWTSigningKey.generate(.es256, kid: "es256")
        let jwk = try JSONEncoder().encode(attacker.publicKey.jwk(use: nil))
        let header = #"{"alg":"ES256","kid":"es256","typ":"JWT","jwk":\#(String(decoding: jwk, as: UTF8.self))}"#
        let token = F.signRaw(header: header, payload: F.payloadJSON, key: attacker)
        #expect(F.rejection(token) == .unsupportedHeaderParameter("jwk"))
    }

    @Test("crit gets its own error")
    func critical() {
        let header = #"{"alg":"ES256","kid":"es256","typ":"JWT","crit":["exp"],"exp":1}"#
        let error = F.rejection(F.signRaw(header: header, payload: F.payloadJSON, key: F.es256))
        #expect(error == .unsupportedCriticalHeader)
        #expect(error?.description.contains("unsupported critical header") == true)
    }

    @Test("typ must be JWT or JOSE when present")
    func type() {
        for typ in ["at+jwt", "jwt", "JWS", ""] {
            let header = #"{"alg":"ES256","kid":"es256","typ":"\#(typ)"}"#
            #expect(
                F.rejection(F.signRaw(header: header, payload: F.payloadJSON, key: F.es256)) == .unsupportedType(typ))
        }
        let nonString = #"{"alg":"ES256","kid":"es256","typ":1}"#
        #expect(
            F.rejection(F.signRaw(header: nonString, payload: F.payloadJSON, key: F.es256))
                == .invalidHeaderParameter("typ"))
        let jose = #"{"alg":"ES256","kid":"es256","typ":"JOSE"}"#
        #expect(F.rejection(F.signRaw(header: jose, payload: F.payloadJSON, key: F.es256)) == nil)
        let absent = #"{"alg":"ES256","kid":"es256"}"#
        #expect(F.rejection(F.signRaw(header: absent, payload: F.payloadJSON, key: F.es256)) == nil)
    }

    @Test("alg none with an empty signature", arguments: ["none", "None", "NONE", "nOnE"])
    func algNone(alg: String) {
        let token = F.forge(header: F.header(alg: alg), payload: F.payloadJSON, signature: [])
        let error = F.rejection(token)
        #expect(error == .disallowedAlgorithm(alg))
        #expect(error?.description.contains("unsigned") == true)
        let noKid = F.forge(header: #"{"alg":"\#(alg)"}"#, payload: F.payloadJSON, signature: [])
        #expect(F.rejection(noKid) == .disallowedAlgorithm(alg))
    }

    @Test(
        "algorithms outside the allow-list",
        arguments: ["HS256", "HS384", "HS512", "EdDSA", "ES256K", "RS1", "es256", "PS256 ", ""])
    func disallowedAlgorithm(alg: String) {
        let token = F.forge(
            header: F.header(alg: alg), payload: F.payloadJSON, signature: Array(repeating: 7, count: 64))
        #expect(F.rejection(token) == .disallowedAlgorithm(alg))
    }

    @Test("missing or non-string alg")
    func missingAlgorithm() {
        let missing = F.signRaw(header: #"{"kid":"es256","typ":"JWT"}"#, payload: F.payloadJSON, key: F.es256)
        #expect(F.rejection(missing) == .missingAlgorithm)
        let number = F.signRaw(header: #"{"alg":256,"kid":"es256"}"#, payload: F.payloadJSON, key: F.es256)
        #expect(F.rejection(number) == .invalidHeaderParameter("alg"))
    }

    @Test("HS256 keyed with the trusted public key (PEM, DER, JWK x) is rejected", arguments: ["es256", "rs256"])
    func hmacKeyConfusion(kid: String) throws {
        let publicKey = F.defaultVerifier.keys[kid]!
        let secrets: [[UInt8]] = [
            Array(publicKey.pemRepresentation.utf8), [UInt8](publicKey.derRepresentation),
            Array((try JSONEncoder().encode(publicKey.jwk())) as Data),
        ]
        for secret in secrets {
            let input = "\(F.b64(F.header(alg: "HS256", kid: kid))).\(F.b64(F.payloadJSON))"
            let mac = HMAC<SHA256>.authenticationCode(for: Array(input.utf8), using: SymmetricKey(data: secret))
            let token = "\(input).\(Base64URL.encode(Array(mac)))"
            let error = F.rejection(token)
            #expect(error == .disallowedAlgorithm("HS256"))
            #expect(error?.description.contains("HMAC") == true)
        }
    }

    @Test("alg whose family does not match the key")
    func algorithmFamilyMismatch() throws {
        let verifier = F.defaultVerifier
        // ES256 token presented under the RSA key's kid.
        let esUnderRSA = F.signRaw(header: F.header(alg: "ES256", kid: "rs256"), payload: F.payloadJSON, key: F.es256)
        #expect(F.rejection(esUnderRSA) == .algorithmKeyMismatch(algorithm: .es256, key: verifier.keys["rs256"]!))
        // ES384 token presented under a P-256 key's kid.
        let es384UnderP256 = F.signRaw(
            header: F.header(alg: "ES384", kid: "es256"), payload: F.payloadJSON, key: F.es384)
        #expect(F.rejection(es384UnderP256) == .algorithmKeyMismatch(algorithm: .es384, key: verifier.keys["es256"]!))
        // RS256 token under a P-256 key.
        let rsUnderEC = F.signRaw(
            header: F.header(alg: "RS256", kid: "es256"), payload: F.payloadJSON, key: F.key(.rs256))
        #expect(F.rejection(rsUnderEC) == .algorithmKeyMismatch(algorithm: .rs256, key: verifier.keys["es256"]!))
        // RS256 under an RSA key pinned to PS256 (same modulus): padding is not the token's choice.
        let rsUnderPS = F.signRaw(
            header: F.header(alg: "RS256", kid: "ps256"), payload: F.payloadJSON, key: F.key(.rs256))
        #expect(F.rejection(rsUnderPS) == .algorithmKeyMismatch(algorithm: .rs256, key: verifier.keys["ps256"]!))
    }

    @Test("an unpinned RSA key (JWK without alg) accepts RS* and PS*")
    func unpinnedRSA() throws {
        let unpinned = try JWTPublicKey(jwk: F.key(.rs256).publicKey.jwk(use: "jwt-svid", includeAlg: false))
        #expect(unpinned.pinnedAlgorithm == nil)
        let verifier = F.verifier([unpinned])
        for alg in [JWTAlgorithm.rs256, .ps384] {
            let token = F.signRaw(
                header: F.header(alg: alg.rawValue, kid: "rs256"), payload: F.payloadJSON, key: F.key(alg))
            #expect(F.rejection(token, verifier: verifier) == nil)
        }
    }

    @Test("missing, empty or non-string kid")
    func missingKeyID() {
        let missing = F.signRaw(header: #"{"alg":"ES256","typ":"JWT"}"#, payload: F.payloadJSON, key: F.es256)
        #expect(F.rejection(missing) == .missingKeyID)
        let empty = F.signRaw(header: F.header(kid: ""), payload: F.payloadJSON, key: F.es256)
        #expect(F.rejection(empty) == .missingKeyID)
        let number = F.signRaw(header: #"{"alg":"ES256","kid":1}"#, payload: F.payloadJSON, key: F.es256)
        #expect(F.rejection(number) == .invalidHeaderParameter("kid"))
    }

    @Test("unknown kid: no default key, even with a single key configured")
    func unknownKeyID() {
        let single = F.verifier([F.es256.publicKey])
        let token = F.signRaw(header: F.header(kid: "ES256"), payload: F.payloadJSON, key: F.es256)
        #expect(F.rejection(token, verifier: single) == .unknownKeyID("ES256"))
        let foreign = try! JWTSigningKey.generate(.es256, kid: "other")
        #expect(
            F.rejection(JWTSigner.sign(claims: F.claims(), key: foreign), verifier: single) == .unknownKeyID("other"))
    }

    @Test("kid of another trusted key does not verify")
    func kidOfAnotherKey() throws {
        let second = try JWTSigningKey.generate(.es256, kid: "second")
        let verifier = F.verifier([F.es256.publicKey, second.publicKey])
        let token = F.signRaw(header: F.header(kid: "second"), payload: F.payloadJSON, key: F.es256)
        #expect(F.rejection(token, verifier: verifier) == .invalidSignature)
    }

    @Test("kid and aud are compared byte for byte, not by Unicode equivalence")
    func byteExactComparison() throws {
        let nfc = "caf\u{E9}"
        let nfd = "cafe\u{301}"
        #expect(nfc == nfd)  // Swift says equal; the verifier must not.
        let key = try JWTSigningKey(pem: F.es256.pemRepresentation, algorithm: .es256, kid: nfc)
        let verifier = F.verifier([key.publicKey])
        let header = #"{"alg":"ES256","kid":"\#(nfd)","typ":"JWT"}"#
        let token = F.signRaw(header: header, payload: F.payloadJSON, key: key)
        #expect(F.rejection(token, verifier: verifier) == .unknownKeyID(nfd))
        let forNFD = JWTSigner.sign(claims: F.claims(aud: [nfd]), key: key)
        #expect(
            F.rejection(forNFD, audience: nfc, verifier: verifier) == .audienceMismatch(expected: nfc, actual: [nfd]))
        #expect(F.rejection(forNFD, audience: nfd, verifier: verifier) == nil)
    }

    // MARK: Signature

    @Test("stripped signature")
    func strippedSignature() {
        let parts = valid.split(separator: ".")
        #expect(F.rejection("\(parts[0]).\(parts[1]).") == .missingSignature)
    }

    @Test("signature of the wrong length, including DER-encoded ECDSA")
    func signatureLength() throws {
        let parts = valid.split(separator: ".").map(String.init)
        var signature = Base64URL.decode(parts[2])!
        signature.removeLast()
        #expect(
            F.rejection("\(parts[0]).\(parts[1]).\(Base64URL.encode(signature))")
                == .signatureLengthMismatch(expected: 64, actual: 63))
        let raw = try P256.Signing.ECDSASignature(rawRepresentation: Base64URL.decode(parts[2])!)
        let der = [UInt8](raw.derRepresentation)
        #expect(
            F.rejection("\(parts[0]).\(parts[1]).\(Base64URL.encode(der))")
                == .signatureLengthMismatch(expected: 64, actual: der.count))
        let rsa = JWTSigner.sign(claims: F.claims(), key: F.key(.rs256)).split(separator: ".").map(String.init)
        let short = Array(Base64URL.decode(rsa[2])!.dropFirst())
        #expect(
            F.rejection("\(rsa[0]).\(rsa[1]).\(Base64URL.encode(short))")
                == .signatureLengthMismatch(expected: 384, actual: 383))
    }

    @Test("all-zero ECDSA r or s (CVE-2022-21449)", arguments: [JWTAlgorithm.es256, .es384, .es512])
    func psychicSignature(algorithm: JWTAlgorithm) {
        let length = algorithm.ecdsaSignatureLength!
        let header = F.header(alg: algorithm.rawValue, kid: algorithm.rawValue.lowercased())
        let allZero = F.forge(header: header, payload: F.payloadJSON, signature: Array(repeating: 0, count: length))
        #expect(F.rejection(allZero) == .degenerateECDSASignature)
        let zeroR = F.forge(
            header: header, payload: F.payloadJSON,
            signature: Array(repeating: 0, count: length / 2) + Array(repeating: 1, count: length / 2))
        #expect(F.rejection(zeroR) == .degenerateECDSASignature)
        let zeroS = F.forge(
            header: header, payload: F.payloadJSON,
            signature: Array(repeating: 1, count: length / 2) + Array(repeating: 0, count: length / 2))
        #expect(F.rejection(zeroS) == .degenerateECDSASignature)
    }

    @Test("bit flip in the signature", arguments: JWTAlgorithm.allCases)
    func signatureBitFlip(algorithm: JWTAlgorithm) {
        let parts = JWTSigner.sign(claims: F.claims(), key: F.key(algorithm)).split(separator: ".").map(String.init)
        var signature = Base64URL.decode(parts[2])!
        signature[signature.count / 3] ^= 0x01
        #expect(F.rejection("\(parts[0]).\(parts[1]).\(Base64URL.encode(signature))") == .invalidSignature)
    }

    @Test("bit flip in the payload or header", arguments: JWTAlgorithm.allCases)
    func payloadBitFlip(algorithm: JWTAlgorithm) {
        let parts = JWTSigner.sign(claims: F.claims(), key: F.key(algorithm)).split(separator: ".").map(String.init)
        var payload = Base64URL.decode(parts[1])!
        // Flip bits of one letter inside the subject ("spiffe" -> "spifff") so the JSON stays valid.
        let index = payload.firstIndex(of: UInt8(ascii: "e"))!
        payload[index] ^= 0x03
        #expect(F.rejection("\(parts[0]).\(Base64URL.encode(payload)).\(parts[2])") == .invalidSignature)
        // Swap the header for an equivalent one spelled differently.
        let respelled = F.b64(#"{"typ":"JWT","alg":"\#(algorithm.rawValue)","kid":"\#(F.key(algorithm).kid)"}"#)
        #expect(F.rejection("\(respelled).\(parts[1]).\(parts[2])") == .invalidSignature)
    }

    @Test("a token signed by an untrusted key under a trusted kid")
    func forgedWithOtherKey() throws {
        let attacker = try JWTSigningKey.generate(.es256, kid: "es256")
        #expect(F.rejection(JWTSigner.sign(claims: F.claims(), key: attacker)) == .invalidSignature)
    }

    // MARK: Claims

    func signed(_ payload: String) -> String {
        F.signRaw(header: F.header(), payload: payload, key: F.es256)
    }

    var t: Int { Int(F.now.timeIntervalSince1970) }

    @Test("missing or non-numeric exp")
    func expiryPresence() {
        #expect(F.rejection(signed(#"{"sub":"\#(F.subject)","aud":"\#(F.audience)"}"#)) == .missingExpiry)
        #expect(
            F.rejection(signed(#"{"sub":"\#(F.subject)","aud":"\#(F.audience)","exp":"\#(t + 60)"}"#))
                == .invalidNumericDate(claim: "exp"))
        #expect(
            F.rejection(signed(#"{"sub":"\#(F.subject)","aud":"\#(F.audience)","exp":true}"#))
                == .invalidNumericDate(claim: "exp"))
        #expect(
            F.rejection(signed(#"{"sub":"\#(F.subject)","aud":"\#(F.audience)","exp":null}"#))
                == .invalidNumericDate(claim: "exp"))
    }

    @Test("expired beyond leeway is rejected, within leeway accepted")
    func expiry() {
        let beyond = F.claims(exp: F.now.addingTimeInterval(-31), iat: F.now.addingTimeInterval(-300))
        #expect(F.rejection(JWTSigner.sign(claims: beyond, key: F.es256)) == .expired(expiry: beyond.exp, now: F.now))
        let atBoundary = F.claims(exp: F.now.addingTimeInterval(-30), iat: F.now.addingTimeInterval(-300))
        #expect(
            F.rejection(JWTSigner.sign(claims: atBoundary, key: F.es256))
                == .expired(expiry: atBoundary.exp, now: F.now))
        let within = F.claims(exp: F.now.addingTimeInterval(-29), iat: F.now.addingTimeInterval(-300))
        #expect(F.rejection(JWTSigner.sign(claims: within, key: F.es256)) == nil)
        let strict = F.verifier(leeway: 0)
        let justExpired = F.claims(exp: F.now, iat: F.now.addingTimeInterval(-300))
        #expect(
            F.rejection(JWTSigner.sign(claims: justExpired, key: F.es256), verifier: strict)
                == .expired(expiry: F.now, now: F.now))
    }

    @Test("nbf in the future beyond leeway")
    func notBefore() {
        let future = F.claims(nbf: F.now.addingTimeInterval(31))
        #expect(
            F.rejection(JWTSigner.sign(claims: future, key: F.es256))
                == .notYetValid(notBefore: future.nbf!, now: F.now))
        let within = F.claims(nbf: F.now.addingTimeInterval(30))
        #expect(F.rejection(JWTSigner.sign(claims: within, key: F.es256)) == nil)
        #expect(
            F.rejection(signed(#"{"sub":"\#(F.subject)","aud":"\#(F.audience)","exp":\#(t + 60),"nbf":"soon"}"#))
                == .invalidNumericDate(claim: "nbf"))
    }

    @Test("iat far in the future")
    func issuedInFuture() {
        let future = F.claims(exp: F.now.addingTimeInterval(7200), iat: F.now.addingTimeInterval(3600))
        #expect(
            F.rejection(JWTSigner.sign(claims: future, key: F.es256))
                == .issuedInFuture(issuedAt: future.iat!, now: F.now))
        #expect(
            F.rejection(signed(#"{"sub":"\#(F.subject)","aud":"\#(F.audience)","exp":\#(t + 60),"iat":[1]}"#))
                == .invalidNumericDate(claim: "iat"))
        // No iat at all is allowed by the JWT-SVID standard.
        #expect(F.rejection(signed(#"{"sub":"\#(F.subject)","aud":"\#(F.audience)","exp":\#(t + 60)}"#)) == nil)
    }

    @Test("audience: missing, wrong, wrong type, empty expectation")
    func audience() {
        #expect(F.rejection(signed(#"{"sub":"\#(F.subject)","exp":\#(t + 60)}"#)) == .missingAudience)
        let wrong = F.claims(aud: ["spiffe://example.org/other", "x"])
        #expect(
            F.rejection(JWTSigner.sign(claims: wrong, key: F.es256))
                == .audienceMismatch(expected: F.audience, actual: wrong.aud))
        #expect(
            F.rejection(valid, audience: "spiffe://example.org/db2")
                == .audienceMismatch(expected: "spiffe://example.org/db2", actual: [F.audience]))
        #expect(
            F.rejection(signed(#"{"sub":"\#(F.subject)","aud":[],"exp":\#(t + 60)}"#))
                == .audienceMismatch(expected: F.audience, actual: []))
        #expect(
            F.rejection(signed(#"{"sub":"\#(F.subject)","aud":7,"exp":\#(t + 60)}"#))
                == .invalidClaim(name: "aud", reason: "must be a string or an array of strings"))
        #expect(
            F.rejection(signed(#"{"sub":"\#(F.subject)","aud":["a",1],"exp":\#(t + 60)}"#))
                == .invalidClaim(name: "aud", reason: "must be a string or an array of strings"))
        #expect(F.rejection(valid, audience: "") == .emptyExpectedAudience)
        let several = F.claims(aud: ["a", F.audience, "b"])
        #expect(F.rejection(JWTSigner.sign(claims: several, key: F.es256)) == nil)
    }

    @Test("subject: missing, not a SPIFFE ID, other trust domain")
    func subject() throws {
        #expect(F.rejection(signed(#"{"aud":"\#(F.audience)","exp":\#(t + 60)}"#)) == .missingSubject)
        #expect(
            F.rejection(signed(#"{"sub":42,"aud":"\#(F.audience)","exp":\#(t + 60)}"#))
                == .invalidClaim(name: "sub", reason: "must be a string"))
        for bad in [
            "web", "https://example.org/web", "spiffe://Example.org/web", "spiffe://example.org/web/",
            "spiffe://example.org:443/web",
        ] {
            let error = F.rejection(JWTSigner.sign(claims: F.claims(sub: bad), key: F.es256))
            guard case .invalidSubject(let sub, _) = error else {
                Issue.record("'\(bad)' gave \(String(describing: error))")
                continue
            }
            #expect(sub == bad)
        }
        let outside = F.claims(sub: "spiffe://evil.org/ns/prod/sa/web")
        #expect(
            F.rejection(JWTSigner.sign(claims: outside, key: F.es256))
                == .subjectOutsideTrustDomain(try SPIFFEID(outside.sub), expected: F.trustDomain))
        let lookalike = F.claims(sub: "spiffe://example.org.evil.org/web")
        #expect(
            F.rejection(JWTSigner.sign(claims: lookalike, key: F.es256))
                == .subjectOutsideTrustDomain(try SPIFFEID(lookalike.sub), expected: F.trustDomain))
    }

    @Test("iss and jti must be strings when present")
    func optionalStringClaims() {
        #expect(
            F.rejection(signed(#"{"sub":"\#(F.subject)","aud":"\#(F.audience)","exp":\#(t + 60),"iss":1}"#))
                == .invalidClaim(name: "iss", reason: "must be a string"))
        #expect(
            F.rejection(signed(#"{"sub":"\#(F.subject)","aud":"\#(F.audience)","exp":\#(t + 60),"jti":{}}"#))
                == .invalidClaim(name: "jti", reason: "must be a string"))
    }

    // MARK: Configuration and messages

    @Test("verifier configuration: leeway at most 30 s, kids unique")
    func configuration() throws {
        #expect(throws: JWTVerifier.ConfigurationError.leewayOutOfRange(31)) {
            try JWTVerifier(trustDomain: F.trustDomain, keys: [], leeway: 31)
        }
        #expect(throws: JWTVerifier.ConfigurationError.leewayOutOfRange(-1)) {
            try JWTVerifier(trustDomain: F.trustDomain, keys: [], leeway: -1)
        }
        let clash = try JWTSigningKey.generate(.es256, kid: "es256")
        #expect(throws: JWTVerifier.ConfigurationError.duplicateKeyID("es256")) {
            try JWTVerifier(trustDomain: F.trustDomain, keys: [F.es256.publicKey, clash.publicKey])
        }
        let deduplicated = try JWTVerifier(trustDomain: F.trustDomain, keys: [F.es256.publicKey, F.es256.publicKey])
        #expect(deduplicated.keys.count == 1)
    }

    @Test("every error has a message that names the problem")
    func messages() throws {
        let key = F.es256.publicKey
        let cases: [(JWTValidationError, String)] = [
            (.tokenTooLarge(length: 20000, limit: 16384), "16384"),
            (.malformedToken(partCount: 2), "exactly 3"),
            (.invalidBase64URL(.payload), "payload"),
            (.unsupportedHeaderParameter("jku"), "'jku'"),
            (.unsupportedType("at+jwt"), "at+jwt"),
            (.disallowedAlgorithm("EdDSA"), "ES256"),
            (.missingKeyID, "kid"),
            (.unknownKeyID("k9"), "k9"),
            (.algorithmKeyMismatch(algorithm: .es384, key: key), "P-256"),
            (.signatureLengthMismatch(expected: 64, actual: 63), "63"),
            (.degenerateECDSASignature, "CVE-2022-21449"),
            (.missingExpiry, "exp"),
            (.audienceMismatch(expected: "x", actual: ["y"]), "'x'"),
            (.subjectOutsideTrustDomain(try SPIFFEID("spiffe://evil.org/a"), expected: F.trustDomain), "example.org"),
            (.expired(expiry: F.now, now: F.now), "expired"),
        ]
        for (error, fragment) in cases {
            #expect(error.description.contains(fragment), "\(error.description)")
        }
    }
}
