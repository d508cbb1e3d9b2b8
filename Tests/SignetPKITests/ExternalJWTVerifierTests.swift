import Crypto
import Foundation
import SignetCore
import Testing

@testable import SignetPKI

/// The verifier for tokens from external issuers (GitHub, GitLab, Kubernetes, OAuth clients)
/// and the JWKS parser that feeds it.
@Suite("External JWT verifier")
struct ExternalJWTVerifierTests {
    typealias F = JWTFixture
    static let issuer = "https://token.actions.githubusercontent.com"

    static func payload(
        exp: Int? = Int(F.now.timeIntervalSince1970) + 300, nbf: Int? = nil, iat: Int? = Int(F.now.timeIntervalSince1970),
        iss: String = issuer, extra: String = ""
    ) -> String {
        var members = [#""iss":"\#(iss)""#, #""sub":"repo:acme/api:ref:refs/heads/main""#, #""aud":"signet""#]
        if let exp { members.append(#""exp":\#(exp)"#) }
        if let nbf { members.append(#""nbf":\#(nbf)"#) }
        if let iat { members.append(#""iat":\#(iat)"#) }
        if !extra.isEmpty { members.append(extra) }
        return "{" + members.joined(separator: ",") + "}"
    }

    static func verifier(_ keys: [JWTPublicKey]? = nil, leeway: TimeInterval = 30) -> ExternalJWTVerifier {
        let keys = keys ?? JWTAlgorithm.allCases.map { F.key($0).publicKey }
        return try! ExternalJWTVerifier(keys: keys, leeway: leeway, clock: { F.now })
    }

    static func rejection(_ token: String, issuer: String? = nil, verifier: ExternalJWTVerifier = verifier())
        -> ExternalJWTError?
    {
        do {
            _ = try verifier.verify(token: token, issuer: issuer)
            return nil
        } catch {
            return error
        }
    }

    // MARK: Accepted

    @Test("every allow-listed algorithm verifies, with typ JWT, at+jwt or absent", arguments: JWTAlgorithm.allCases)
    func acceptsAllowListedAlgorithms(_ algorithm: JWTAlgorithm) throws {
        let key = F.key(algorithm)
        for typ in [#","typ":"JWT""#, #","typ":"at+jwt""#, ""] {
            let header = #"{"alg":"\#(algorithm.rawValue)","kid":"\#(key.kid)"\#(typ)}"#
            let token = F.signRaw(header: header, payload: Self.payload(), key: key)
            let verified = try Self.verifier().verify(token: token, issuer: Self.issuer)
            #expect(verified.algorithm == algorithm)
            #expect(verified.kid == key.kid)
            #expect(verified.claims["sub"]?.stringValue == "repo:acme/api:ref:refs/heads/main")
            #expect(verified.issuer == Self.issuer)
        }
    }

    @Test("GitHub's x5t header parameter is tolerated (never used to find a key)")
    func toleratesThumbprints() throws {
        let header = #"{"typ":"JWT","alg":"ES256","x5t":"cGVyc29uYWwtdGh1bWJwcmludA","kid":"es256"}"#
        let token = F.signRaw(header: header, payload: Self.payload(), key: F.es256)
        #expect(Self.rejection(token) == nil)
        let s256 = #"{"alg":"ES256","x5t#S256":"abc","kid":"es256"}"#
        #expect(Self.rejection(F.signRaw(header: s256, payload: Self.payload(), key: F.es256)) == nil)
    }

    @Test("claims of any shape are returned for rule evaluation")
    func returnsAllClaims() throws {
        let extra = #""repository_owner":"acme","kubernetes.io":{"namespace":"prod"},"n":42"#
        let token = F.signRaw(header: F.header(), payload: Self.payload(extra: extra), key: F.es256)
        let verified = try Self.verifier().verify(token: token)
        #expect(verified.claims["repository_owner"] == .string("acme"))
        #expect(verified.claims["kubernetes.io"]?.objectValue?["namespace"] == .string("prod"))
        #expect(verified.expiry == F.now.addingTimeInterval(300))
    }

    // MARK: Algorithms and keys

    @Test("alg none and HMAC are refused before any key is used")
    func refusesNoneAndHMAC() {
        let none = "\(F.b64(#"{"alg":"none","kid":"es256"}"#)).\(F.b64(Self.payload()))."
        #expect(Self.rejection(none) == .token(.disallowedAlgorithm("none")))
        // An HS256 token "signed" with the public key bytes: the classic key-confusion forgery.
        let input = "\(F.b64(#"{"alg":"HS256","kid":"rs256"}"#)).\(F.b64(Self.payload()))"
        let mac = HMAC<SHA256>.authenticationCode(for: Array(input.utf8), using: SymmetricKey(data: F.key(.rs256).publicKey.derRepresentation))
        let hs256 = input + "." + Base64URL.encode(Array(mac))
        #expect(Self.rejection(hs256) == .token(.disallowedAlgorithm("HS256")))
        #expect(Self.rejection(F.signRaw(header: #"{"alg":"EdDSA","kid":"es256"}"#, payload: Self.payload(), key: F.es256))
            == .token(.disallowedAlgorithm("EdDSA")))
    }

    @Test("kid is required and looked up exactly; there is no default key")
    func kidRules() {
        let noKid = F.signRaw(header: #"{"alg":"ES256"}"#, payload: Self.payload(), key: F.es256)
        #expect(Self.rejection(noKid) == .token(.missingKeyID))
        let unknown = F.signRaw(header: F.header(kid: "rotated-away"), payload: Self.payload(), key: F.es256)
        #expect(Self.rejection(unknown) == .token(.unknownKeyID("rotated-away")))
        let caseChanged = F.signRaw(header: F.header(kid: "ES256"), payload: Self.payload(), key: F.es256)
        #expect(Self.rejection(caseChanged) == .token(.unknownKeyID("ES256")))
        let onlyKey = Self.verifier([F.es256.publicKey])
        #expect(Self.rejection(F.signRaw(header: F.header(kid: ""), payload: Self.payload(), key: F.es256), verifier: onlyKey)
            == .token(.missingKeyID))
    }

    @Test("the alg must fit the key the kid names")
    func algorithmKeyMismatch() {
        let token = F.signRaw(header: #"{"alg":"ES384","kid":"es256"}"#, payload: Self.payload(), key: F.es384)
        guard case .token(.algorithmKeyMismatch)? = Self.rejection(token) else {
            Issue.record("expected algorithmKeyMismatch")
            return
        }
    }

    @Test("a signature by another key, or a tampered payload, is refused")
    func badSignatures() {
        let other = try! JWTSigningKey.generate(.es256, kid: "es256")
        #expect(Self.rejection(F.signRaw(header: F.header(), payload: Self.payload(), key: other)) == .token(.invalidSignature))
        let token = F.signRaw(header: F.header(), payload: Self.payload(), key: F.es256)
        let parts = token.split(separator: ".")
        let tampered = "\(parts[0]).\(F.b64(Self.payload(extra: #""admin":true"#))).\(parts[2])"
        #expect(Self.rejection(tampered) == .token(.invalidSignature))
    }

    // MARK: Header parameters

    @Test("header parameters that carry or point at keys are refused", arguments: ["jku", "jwk", "x5u", "x5c", "crit"])
    func refusesKeyCarryingHeaders(_ name: String) {
        let header = #"{"alg":"ES256","kid":"es256","\#(name)":"https://attacker.example/keys"}"#
        let token = F.signRaw(header: header, payload: Self.payload(), key: F.es256)
        #expect(Self.rejection(token) == .forbiddenHeaderParameter(name))
    }

    @Test("unknown header parameters and typ values are refused")
    func refusesUnknownHeaderContent() {
        let cty = F.signRaw(header: #"{"alg":"ES256","kid":"es256","cty":"JWT"}"#, payload: Self.payload(), key: F.es256)
        #expect(Self.rejection(cty) == .unsupportedHeaderParameter("cty"))
        let typ = F.signRaw(header: #"{"alg":"ES256","kid":"es256","typ":"secevent+jwt"}"#, payload: Self.payload(), key: F.es256)
        #expect(Self.rejection(typ) == .unsupportedType("secevent+jwt"))
        let typNumber = F.signRaw(header: #"{"alg":"ES256","kid":"es256","typ":1}"#, payload: Self.payload(), key: F.es256)
        #expect(Self.rejection(typNumber) == .token(.invalidHeaderParameter("typ")))
        // typ compares case-insensitively in ASCII only: a Unicode look-alike of "JWT" is not JWT.
        let lookalike = F.signRaw(header: #"{"alg":"ES256","kid":"es256","typ":"ＪWT"}"#, payload: Self.payload(), key: F.es256)
        #expect(Self.rejection(lookalike) == .unsupportedType("ＪWT"))
        let lower = F.signRaw(header: #"{"alg":"ES256","kid":"es256","typ":"jwt"}"#, payload: Self.payload(), key: F.es256)
        #expect(Self.rejection(lower) == nil)
    }

    @Test("a duplicated header member is refused by the strict JSON parser")
    func duplicateHeaderMember() {
        let token = F.signRaw(header: #"{"alg":"ES256","alg":"none","kid":"es256"}"#, payload: Self.payload(), key: F.es256)
        guard case .token(.invalidJSON(.header, _))? = Self.rejection(token) else {
            Issue.record("expected invalid header JSON")
            return
        }
    }

    // MARK: Time and issuer

    @Test("exp is required")
    func expRequired() {
        let token = F.signRaw(header: F.header(), payload: Self.payload(exp: nil), key: F.es256)
        #expect(Self.rejection(token) == .token(.missingExpiry))
        let text = F.signRaw(header: F.header(), payload: Self.payload(exp: nil, extra: #""exp":"soon""#), key: F.es256)
        #expect(Self.rejection(text) == .token(.invalidNumericDate(claim: "exp")))
    }

    @Test("exp, nbf and iat are checked with the 30 s leeway")
    func timeChecks() {
        let now = Int(F.now.timeIntervalSince1970)
        func token(exp: Int? = now + 300, nbf: Int? = nil, iat: Int? = now) -> String {
            F.signRaw(header: F.header(), payload: Self.payload(exp: exp, nbf: nbf, iat: iat), key: F.es256)
        }
        #expect(Self.rejection(token(exp: now - 10)) == nil, "expired within the leeway")
        #expect(Self.rejection(token(exp: now - 31)) == .token(.expired(expiry: F.now.addingTimeInterval(-31), now: F.now)))
        #expect(Self.rejection(token(nbf: now + 20)) == nil, "not-before within the leeway")
        #expect(Self.rejection(token(nbf: now + 60)) == .token(.notYetValid(notBefore: F.now.addingTimeInterval(60), now: F.now)))
        #expect(Self.rejection(token(iat: now + 60)) == .token(.issuedInFuture(issuedAt: F.now.addingTimeInterval(60), now: F.now)))
        let strict = Self.verifier(leeway: 0)
        #expect(Self.rejection(token(exp: now), verifier: strict) == .token(.expired(expiry: F.now, now: F.now)))
    }

    @Test("the issuer, when expected, must match byte for byte")
    func issuerCheck() {
        let token = F.signRaw(header: F.header(), payload: Self.payload(), key: F.es256)
        #expect(Self.rejection(token, issuer: Self.issuer) == nil)
        #expect(Self.rejection(token, issuer: Self.issuer + "/") == .issuerMismatch(expected: Self.issuer + "/", actual: Self.issuer))
        let noIss = F.signRaw(header: F.header(), payload: #"{"sub":"x","exp":\#(Int(F.now.timeIntervalSince1970) + 60)}"#, key: F.es256)
        #expect(Self.rejection(noIss, issuer: Self.issuer) == .missingIssuer)
        let numericSub = F.signRaw(header: F.header(), payload: Self.payload(extra: #""jti":7"#), key: F.es256)
        #expect(Self.rejection(numericSub) == .token(.invalidClaim(name: "jti", reason: "must be a string")))
    }

    @Test("two different keys under one kid cannot configure a verifier")
    func duplicateKids() {
        let a = try! JWTSigningKey.generate(.es256, kid: "same").publicKey
        let b = try! JWTSigningKey.generate(.es256, kid: "same").publicKey
        #expect(throws: JWTVerifier.ConfigurationError.duplicateKeyID("same")) { try ExternalJWTVerifier(keys: [a, b]) }
    }
}

@Suite("JWKS parsing")
struct JWKSetTests {
    typealias F = JWTFixture

    static func document(_ keys: [String]) -> String { #"{"keys":["# + keys.joined(separator: ",") + "]}" }
    static func json(_ key: JWTPublicKey, use: String = "sig") -> String {
        String(decoding: try! JSONEncoder().encode(key.jwk(use: use, includeAlg: true)), as: UTF8.self)
    }

    @Test("a key set of EC and RSA keys parses in both modes")
    func parses() throws {
        let text = Self.document([Self.json(F.es256.publicKey), Self.json(F.key(.rs256).publicKey)])
        for mode in [JWKSet.Mode.strict, .lenient] {
            let set = try JWKSet.parse(text, mode: mode)
            #expect(set.keys.map(\.kid) == ["es256", "rs256"])
            #expect(set.skipped.isEmpty)
        }
    }

    @Test("lenient mode skips keys Signet cannot use and says why; strict mode refuses them")
    func lenientSkips() throws {
        let okp = #"{"kty":"OKP","crv":"Ed25519","kid":"ed","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#
        let enc = Self.json(F.es384.publicKey, use: "enc")
        let text = Self.document([okp, enc, Self.json(F.es256.publicKey)])
        let set = try JWKSet.parse(text, mode: .lenient)
        #expect(set.keys.map(\.kid) == ["es256"])
        #expect(set.skipped.count == 2)
        #expect(set.skipped[0].contains("'ed'") && set.skipped[0].contains("OKP"))
        #expect(throws: JWKSet.ParseError.self) { try JWKSet.parse(text, mode: .strict) }
    }

    @Test("a private key member fails the whole set in every mode")
    func privateMembers() {
        let leaked = #"{"kty":"EC","crv":"P-256","kid":"k","x":"a","y":"b","d":"secret"}"#
        for mode in [JWKSet.Mode.strict, .lenient] {
            do {
                _ = try JWKSet.parse(Self.document([leaked]), mode: mode)
                Issue.record("a JWKS with a private member was accepted")
            } catch {
                #expect(error.message.contains("private key member 'd'"))
            }
        }
        let symmetric = #"{"kty":"oct","kid":"h","k":"c2VjcmV0"}"#
        #expect(throws: JWKSet.ParseError.self) { try JWKSet.parse(Self.document([symmetric]), mode: .lenient) }
    }

    @Test("two different keys under one kid: strict refuses, lenient drops both")
    func ambiguousKids() throws {
        let a = try JWTSigningKey.generate(.es256, kid: "dup").publicKey
        let b = try JWTSigningKey.generate(.es256, kid: "dup").publicKey
        let text = Self.document([Self.json(a), Self.json(b), Self.json(F.es256.publicKey)])
        #expect(throws: JWKSet.ParseError.self) { try JWKSet.parse(text, mode: .strict) }
        let set = try JWKSet.parse(text, mode: .lenient)
        #expect(set.keys.map(\.kid) == ["es256"])
        #expect(set.skipped.contains { $0.contains("'dup'") })
        // The same key listed twice is harmless.
        #expect(try JWKSet.parse(Self.document([Self.json(a), Self.json(a)]), mode: .strict).keys.count == 1)
    }

    @Test("malformed documents, empty strict sets and oversized documents are refused")
    func malformed() {
        for text in ["", "[]", #"{"keys":{}}"#, #"{"key":[]}"#, #"{"keys":[{"kid":"x"}]}"#] {
            #expect(throws: JWKSet.ParseError.self, "\(text)") { try JWKSet.parse(text, mode: .lenient) }
        }
        #expect(throws: JWKSet.ParseError.self) { try JWKSet.parse(#"{"keys":[]}"#, mode: .strict) }
        #expect((try? JWKSet.parse(#"{"keys":[]}"#, mode: .lenient))?.keys.isEmpty == true)
        let huge = #"{"keys":[],"pad":""# + String(repeating: "x", count: JWKSet.maxBytes) + #""}"#
        #expect(throws: JWKSet.ParseError.self) { try JWKSet.parse(huge, mode: .lenient) }
    }
}
