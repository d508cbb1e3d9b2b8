/// A SPIFFE trust domain name, validated per the SPIFFE-ID standard.
///
/// Signet only ever issues lowercase names; parsing rejects anything a
/// conforming peer would reject, so a `TrustDomain` value is always safe to
/// put into an issued certificate or token.
public struct TrustDomain: Hashable, Sendable, Codable, CustomStringConvertible, Comparable {
    /// The bare name, e.g. `example.org`.
    public let name: String

    /// Parses a bare trust domain name (`example.org`) or a SPIFFE ID with no path (`spiffe://example.org`).
    public init(_ text: String) throws(SPIFFEIDError) {
        var name = Substring(text)
        if text.hasPrefix("spiffe://") {
            name = name.dropFirst("spiffe://".count)
            if name.contains("/") {
                throw .trustDomainHasPath(text)
            }
        } else if text.contains("://") {
            throw .wrongScheme(text)
        }
        try Self.validate(name: name, in: text)
        self.name = String(name)
    }

    /// The trust domain's own SPIFFE ID, `spiffe://<name>`, used as the key of bundle maps.
    public var idString: String { "spiffe://\(name)" }

    public var description: String { name }

    public static func < (lhs: TrustDomain, rhs: TrustDomain) -> Bool { lhs.name < rhs.name }

    static func validate(name: Substring, in text: String) throws(SPIFFEIDError) {
        if name.isEmpty { throw .missingTrustDomain(text) }
        if name.utf8.count > 255 { throw .trustDomainTooLong(text) }
        for byte in name.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "_"):
                continue
            case UInt8(ascii: "A")...UInt8(ascii: "Z"):
                throw .trustDomainNotLowercase(text)
            case UInt8(ascii: "%"):
                throw .percentEncoded(text)
            case UInt8(ascii: ":"):
                throw .portNotAllowed(text)
            case UInt8(ascii: "@"):
                throw .userInfoNotAllowed(text)
            case UInt8(ascii: "?"):
                throw .queryNotAllowed(text)
            case UInt8(ascii: "#"):
                throw .fragmentNotAllowed(text)
            default:
                throw .invalidTrustDomainCharacter(text, Character(Unicode.Scalar(byte)))
            }
        }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        try self.init(text)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }
}
