import Crypto
import Foundation
import Testing

@testable import SignetPKI

@Suite("JWK import and export")
struct JWTJWKTests {
    typealias F = JWTFixture

    static func encode(_ jwk: JWK) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(jwk), as: UTF8.self)
    }

    static func decode(_ json: String) throws -> JWK {
        try JSONDecoder().decode(JWK.self, from: Data(json.utf8))
    }

    @Test("JSON -> key -> JSON is identical", arguments: JWTAlgorithm.allCases)
    func roundTrip(algorithm: JWTAlgorithm) throws {
        let key = F.key(algorithm).publicKey
        for includeAlg in [true, false] {
            for use in ["jwt-svid", nil] as [String?] {
                let json = try Self.encode(key.jwk(use: use, includeAlg: includeAlg))
                let imported = try JWTPublicKey(jwk: try Self.decode(json))
                #expect(try Self.encode(imported.jwk(use: use, includeAlg: includeAlg)) == json)
                #expect(imported.kid == key.kid)
                #expect(imported.family == key.family)
            }
        }
    }

    @Test("a published RFC 7517 key round-trips byte for byte")
    func fixedVector() throws {
        let json =
            #"{"crv":"P-256","kid":"1","kty":"EC","use":"sig","x":"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4","y":"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM"}"#
        let key = try JWTPublicKey(jwk: try Self.decode(json))
        #expect(try Self.encode(key.jwk(use: "sig", includeAlg: false)) == json)
    }

    @Test("RFC 7638 thumbprint test vector")
    func thumbprint() throws {
        let jwk = JWK(
            kty: "RSA", kid: "2011-04-29",
            n:
                "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            e: "AQAB")
        #expect(try JWTPublicKey(jwk: jwk).thumbprint == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
    }

    @Test("encoding: fixed-width EC coordinates, minimal RSA modulus, e = AQAB, no padding")
    func encodingShape() throws {
        for (alg, chars) in [(JWTAlgorithm.es256, 43), (.es384, 64), (.es512, 88)] {
            let jwk = F.key(alg).publicKey.jwk()
            #expect(jwk.kty == "EC")
            #expect(jwk.x?.count == chars)
            #expect(jwk.y?.count == chars)
            #expect(jwk.crv == alg.keyFamily.rawValue)
        }
        let rsa = F.key(.rs256).publicKey.jwk(use: "jwt-svid", includeAlg: true)
        #expect(rsa.e == "AQAB")
        #expect(rsa.alg == "RS256")
        let n = try #require(rsa.n.flatMap(Base64URL.decode))
        #expect(n.count == 384)
        #expect(n[0] != 0)
        #expect(!(try Self.encode(rsa)).contains("="))
        // Unpinned RSA keys publish no alg; EC keys imply theirs.
        let unpinned = try JWTPublicKey(jwk: F.key(.rs256).publicKey.jwk(includeAlg: false))
        #expect(unpinned.jwk(includeAlg: true).alg == nil)
        let ec = try JWTPublicKey(jwk: F.es384.publicKey.jwk(includeAlg: false))
        #expect(ec.jwk(includeAlg: true).alg == "ES384")
    }

    @Test("an RSA modulus with a leading zero byte is accepted and re-emitted without it")
    func leadingZeroModulus() throws {
        var jwk = F.key(.rs256).publicKey.jwk()
        let n = Base64URL.decode(jwk.n!)!
        jwk.n = Base64URL.encode([0] + n)
        let key = try JWTPublicKey(jwk: jwk)
        #expect(key.jwk().n == Base64URL.encode(n))
        #expect(key.keySizeInBits == 3072)
    }

    // MARK: Rejections

    var p256: JWK { F.es256.publicKey.jwk(use: "jwt-svid", includeAlg: true) }

    @Test("EC point not on the curve")
    func offCurve() {
        var jwk = p256
        var y = Base64URL.decode(jwk.y!)!
        y[31] ^= 0x01
        jwk.y = Base64URL.encode(y)
        #expect(throws: JWTKeyError.pointNotOnCurve(.p256)) { try JWTPublicKey(jwk: jwk) }
        // The P-256 point presented as P-384 coordinates is rejected on length first.
        var wrongCurve = p256
        wrongCurve.crv = "P-384"
        wrongCurve.alg = nil
        #expect(throws: JWTKeyError.invalidCoordinateLength(parameter: "x", expected: 48, actual: 32)) {
            try JWTPublicKey(jwk: wrongCurve)
        }
    }

    @Test("EC coordinates of the wrong length (no leading-zero stripping)")
    func coordinateLength() {
        var jwk = p256
        jwk.x = Base64URL.encode(Array(Base64URL.decode(jwk.x!)!.dropFirst()))
        #expect(throws: JWTKeyError.invalidCoordinateLength(parameter: "x", expected: 32, actual: 31)) {
            try JWTPublicKey(jwk: jwk)
        }
        var long = p256
        long.y = Base64URL.encode([0] + Base64URL.decode(long.y!)!)
        #expect(throws: JWTKeyError.invalidCoordinateLength(parameter: "y", expected: 32, actual: 33)) {
            try JWTPublicKey(jwk: long)
        }
    }

    @Test("alg that does not fit the key")
    func algMismatch() {
        var jwk = p256
        jwk.alg = "ES384"
        #expect(throws: JWTKeyError.algorithmMismatch(algorithm: .es384, family: .p256)) { try JWTPublicKey(jwk: jwk) }
        jwk.alg = "RS256"
        #expect(throws: JWTKeyError.algorithmMismatch(algorithm: .rs256, family: .p256)) { try JWTPublicKey(jwk: jwk) }
        jwk.alg = "HS256"
        #expect(throws: JWTKeyError.unsupportedAlgorithm("HS256")) { try JWTPublicKey(jwk: jwk) }
        var rsa = F.key(.rs256).publicKey.jwk()
        rsa.alg = "ES256"
        #expect(throws: JWTKeyError.algorithmMismatch(algorithm: .es256, family: .rsa)) { try JWTPublicKey(jwk: rsa) }
    }

    @Test("unknown or symmetric key types", arguments: ["oct", "OKP", "ec", ""])
    func unknownKeyType(kty: String) {
        var jwk = p256
        jwk.kty = kty
        #expect(throws: JWTKeyError.unsupportedKeyType(kty)) { try JWTPublicKey(jwk: jwk) }
    }

    @Test("unsupported curves")
    func unsupportedCurve() {
        var jwk = p256
        jwk.alg = nil
        for crv in ["secp256k1", "P-192", "RSA", "p-256"] {
            jwk.crv = crv
            #expect(throws: JWTKeyError.unsupportedCurve(crv)) { try JWTPublicKey(jwk: jwk) }
        }
    }

    @Test("RSA modulus below 2048 or above 8192 bits")
    func rsaModulusSize() {
        let small = JWK(
            kty: "RSA", kid: "small", n: Base64URL.encode([0xC1] + Array(repeating: 0x55, count: 127)), e: "AQAB")
        #expect(throws: JWTKeyError.rsaModulusTooSmall(bits: 1024)) { try JWTPublicKey(jwk: small) }
        let almost = JWK(
            kty: "RSA", kid: "almost", n: Base64URL.encode([0x7F] + Array(repeating: 0x55, count: 255)), e: "AQAB")
        #expect(throws: JWTKeyError.rsaModulusTooSmall(bits: 2047)) { try JWTPublicKey(jwk: almost) }
        let huge = JWK(
            kty: "RSA", kid: "huge", n: Base64URL.encode([0x01] + Array(repeating: 0x55, count: 1024)), e: "AQAB")
        #expect(throws: JWTKeyError.rsaModulusTooLarge(bits: 8193)) { try JWTPublicKey(jwk: huge) }
    }

    @Test("RSA exponent must be odd and greater than one")
    func rsaExponent() {
        var jwk = F.key(.rs256).publicKey.jwk()
        for e in [[UInt8](), [1], [2], [0x01, 0x00, 0x00]] as [[UInt8]] {
            jwk.e = Base64URL.encode(e)
            #expect(throws: JWTKeyError.self) { try JWTPublicKey(jwk: jwk) }
        }
    }

    @Test("missing kid, missing members, members of another key type, bad base64url")
    func structure() {
        var noKid = p256
        noKid.kid = nil
        #expect(throws: JWTKeyError.missingKeyID) { try JWTPublicKey(jwk: noKid) }
        noKid.kid = ""
        #expect(throws: JWTKeyError.missingKeyID) { try JWTPublicKey(jwk: noKid) }
        var noY = p256
        noY.y = nil
        #expect(throws: JWTKeyError.missingParameter("y")) { try JWTPublicKey(jwk: noY) }
        var noCrv = p256
        noCrv.crv = nil
        #expect(throws: JWTKeyError.missingParameter("crv")) { try JWTPublicKey(jwk: noCrv) }
        var mixed = p256
        mixed.n = "AQAB"
        #expect(throws: JWTKeyError.unexpectedParameter("n")) { try JWTPublicKey(jwk: mixed) }
        var padded = p256
        padded.x = padded.x! + "="
        #expect(throws: JWTKeyError.invalidBase64URL(parameter: "x")) { try JWTPublicKey(jwk: padded) }
        var standardAlphabet = F.key(.rs256).publicKey.jwk()
        standardAlphabet.n =
            standardAlphabet.n!.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/") + "+"
        #expect(throws: JWTKeyError.invalidBase64URL(parameter: "n")) { try JWTPublicKey(jwk: standardAlphabet) }
    }

    @Test("use other than jwt-svid or sig")
    func use() {
        var jwk = p256
        for use in ["enc", "x509-svid"] {
            jwk.use = use
            #expect(throws: JWTKeyError.unsupportedUse(use)) { try JWTPublicKey(jwk: jwk) }
        }
    }

    @Test("private key members are refused when decoding a JWK")
    func privateMembers() throws {
        let json = try Self.encode(p256)
        let withD = json.dropLast() + #","d":"AAAA"}"#
        #expect(throws: DecodingError.self) { try Self.decode(String(withD)) }
        let oct = #"{"kty":"oct","kid":"h","k":"c2VjcmV0"}"#
        #expect(throws: DecodingError.self) { try Self.decode(oct) }
    }

    @Test("keys compare by kid, binding and material")
    func equality() throws {
        let a = try JWTPublicKey(jwk: p256)
        let b = try JWTPublicKey(jwk: p256)
        #expect(a == b)
        #expect(Set([a, b]).count == 1)
        var renamed = p256
        renamed.kid = "other"
        #expect(try JWTPublicKey(jwk: renamed) != a)
        var unpinned = p256
        unpinned.alg = nil
        #expect(try JWTPublicKey(jwk: unpinned) != a)
    }

    @Test("x5c survives JWK coding untouched")
    func x5c() throws {
        var jwk = p256
        jwk.x5c = ["MIIBAA=="]
        #expect(try Self.decode(try Self.encode(jwk)) == jwk)
    }
}
