import SignetCore
import Foundation

/// The claims of a JWT-SVID: the registered ones SPIFFE uses, plus `extra` for anything else.
///
/// Times are whole seconds: JWT NumericDate as Signet issues it is an integer,
/// so the initializer truncates and a minted token decodes back to an equal value.
public struct JWTClaims: Sendable, Hashable {
    /// The workload's SPIFFE ID.
    public var sub: String
    /// Audiences; encoded as a bare string when there is exactly one (what most verifiers expect).
    public var aud: [String]
    public var exp: Date
    /// Always set on tokens Signet mints; optional because the JWT-SVID standard does not require it.
    public var iat: Date?
    public var nbf: Date?
    public var iss: String?
    /// Unique token ID for audit trails and replay caches; optional on tokens from other issuers.
    public var jti: String?
    /// Claims other than the registered ones. Entries named like a registered claim are ignored when
    /// signing (the typed field wins), and decoding never puts registered claims here.
    public var extra: [String: JSONValue]

    /// Claim names with typed fields above.
    public static let registeredNames: Set<String> = ["iss", "sub", "aud", "exp", "nbf", "iat", "jti"]

    public init(
        sub: String, aud: [String], exp: Date, iat: Date, nbf: Date? = nil, iss: String? = nil,
        jti: String? = JWTClaims.newJTI(), extra: [String: JSONValue] = [:]
    ) {
        self.init(
            sub: sub, aud: aud, exp: Self.wholeSeconds(exp), iat: Self.wholeSeconds(iat),
            nbf: nbf.map(Self.wholeSeconds), iss: iss, jti: jti, extra: extra, decoded: ())
    }

    private init(
        sub: String, aud: [String], exp: Date, iat: Date?, nbf: Date?, iss: String?, jti: String?,
        extra: [String: JSONValue], decoded: Void
    ) {
        self.sub = sub
        self.aud = aud
        self.exp = exp
        self.iat = iat
        self.nbf = nbf
        self.iss = iss
        self.jti = jti
        self.extra = extra
    }

    /// 128 random bits, base64url: unguessable and short.
    public static func newJTI() -> String {
        var generator = SystemRandomNumberGenerator()
        let a = generator.next() as UInt64
        let b = generator.next() as UInt64
        return Base64URL.encode(withUnsafeBytes(of: (a, b)) { Array($0) })
    }

    static func wholeSeconds(_ date: Date) -> Date {
        Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down))
    }

    // MARK: Encoding

    /// Compact JSON payload, built by hand: registered claims in a fixed order, then `extra` sorted by name.
    func jsonPayload() -> String {
        var out = "{"
        if let iss {
            out += #""iss":"#
            JSONValue.writeString(iss, into: &out)
            out += ","
        }
        out += #""sub":"#
        JSONValue.writeString(sub, into: &out)
        out += #","aud":"#
        if aud.count == 1 {
            JSONValue.writeString(aud[0], into: &out)
        } else {
            JSONValue.array(aud.map(JSONValue.string)).write(into: &out)
        }
        out += #","exp":"#
        JSONValue.writeNumber(exp.timeIntervalSince1970.rounded(.down), into: &out)
        if let nbf {
            out += #","nbf":"#
            JSONValue.writeNumber(nbf.timeIntervalSince1970.rounded(.down), into: &out)
        }
        if let iat {
            out += #","iat":"#
            JSONValue.writeNumber(iat.timeIntervalSince1970.rounded(.down), into: &out)
        }
        if let jti {
            out += #","jti":"#
            JSONValue.writeString(jti, into: &out)
        }
        if !extra.isEmpty {
            for name in extra.keys.sorted() where !Self.registeredNames.contains(name) {
                out += ","
                JSONValue.writeString(name, into: &out)
                out += ":"
                extra[name]!.write(into: &out)
            }
        }
        out += "}"
        return out
    }

    // MARK: Decoding

    /// Reads claims from a payload object, checking only presence and types; time, audience and
    /// subject policy are the verifier's job.
    public init(payload: [String: JSONValue]) throws(JWTValidationError) {
        guard let expValue = payload["exp"] else { throw .missingExpiry }
        let exp = try Self.numericDate(expValue, claim: "exp")
        let nbf = try payload["nbf"].map { value throws(JWTValidationError) in try Self.numericDate(value, claim: "nbf")
        }
        let iat = try payload["iat"].map { value throws(JWTValidationError) in try Self.numericDate(value, claim: "iat")
        }

        guard let audValue = payload["aud"] else { throw .missingAudience }
        let aud: [String]
        switch audValue {
        case .string(let single):
            aud = [single]
        case .array(let values):
            var list: [String] = []
            for value in values {
                guard let string = value.stringValue else {
                    throw .invalidClaim(name: "aud", reason: "must be a string or an array of strings")
                }
                list.append(string)
            }
            aud = list
        default:
            throw .invalidClaim(name: "aud", reason: "must be a string or an array of strings")
        }

        guard let subValue = payload["sub"] else { throw .missingSubject }
        guard let sub = subValue.stringValue else { throw .invalidClaim(name: "sub", reason: "must be a string") }
        let iss = try Self.optionalString(payload["iss"], claim: "iss")
        let jti = try Self.optionalString(payload["jti"], claim: "jti")
        let extra = payload.filter { !Self.registeredNames.contains($0.key) }
        self.init(sub: sub, aud: aud, exp: exp, iat: iat, nbf: nbf, iss: iss, jti: jti, extra: extra, decoded: ())
    }

    private static func numericDate(_ value: JSONValue, claim: String) throws(JWTValidationError) -> Date {
        guard let seconds = value.numberValue else { throw .invalidNumericDate(claim: claim) }
        return wholeSeconds(Date(timeIntervalSince1970: seconds))
    }

    private static func optionalString(_ value: JSONValue?, claim: String) throws(JWTValidationError) -> String? {
        guard let value else { return nil }
        guard let string = value.stringValue else { throw .invalidClaim(name: claim, reason: "must be a string") }
        return string
    }
}
