/// A SPIFFE ID: `spiffe://<trust-domain>[/<path>]`.
///
/// Parsing follows the SPIFFE-ID standard strictly (lowercase scheme and trust
/// domain, no port, user info, query, fragment, percent-encoding, empty or dot
/// segments, at most 2048 bytes), so a value of this type can be issued as-is.
public struct SPIFFEID: Hashable, Sendable, Codable, CustomStringConvertible, Comparable {
    public static let maxLength = 2048

    public let trustDomain: TrustDomain
    /// The path including its leading `/`, or empty for the trust domain's own ID.
    public let path: String

    public init(_ text: String) throws(SPIFFEIDError) {
        if text.isEmpty { throw .empty }
        if text.utf8.count > Self.maxLength { throw .tooLong(text) }
        guard text.hasPrefix("spiffe://") else {
            throw .wrongScheme(text)
        }
        let rest = text.dropFirst("spiffe://".count)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let domain = rest[rest.startIndex..<slash]
        try TrustDomain.validate(name: domain, in: text)
        let path = rest[slash...]
        try Self.validate(path: path, in: text)
        self.trustDomain = try TrustDomain(String(domain))
        self.path = String(path)
    }

    public init(trustDomain: TrustDomain, path: String) throws(SPIFFEIDError) {
        try self.init("spiffe://\(trustDomain.name)\(path)")
    }

    /// Path segments, without slashes.
    public var segments: [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: true)
    }

    public var description: String { "spiffe://\(trustDomain.name)\(path)" }

    /// True when this ID lies under `prefix` (same trust domain and every segment of `prefix` matches).
    public func isUnder(_ prefix: SPIFFEID) -> Bool {
        trustDomain == prefix.trustDomain && (path == prefix.path || path.hasPrefix(prefix.path + "/"))
    }

    /// Checks one path segment against the standard's character set; used for claims mapped into IDs.
    public static func validate(segment: Substring, in text: String) throws(SPIFFEIDError) {
        if segment.isEmpty { throw .emptySegment(text) }
        if segment == "." || segment == ".." { throw .dotSegment(text) }
        for byte in segment.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "_"):
                continue
            case UInt8(ascii: "%"): throw .percentEncoded(text)
            case UInt8(ascii: "?"): throw .queryNotAllowed(text)
            case UInt8(ascii: "#"): throw .fragmentNotAllowed(text)
            default: throw .invalidPathCharacter(text, Character(Unicode.Scalar(byte)))
            }
        }
    }

    static func validate(path: Substring, in text: String) throws(SPIFFEIDError) {
        if path.isEmpty { return }
        if path == "/" || path.hasSuffix("/") {
            // `spiffe://td/` and `spiffe://td/x/` both end with a slash.
            if path.contains("//") { throw .emptySegment(text) }
            throw .trailingSlash(text)
        }
        var segments = path.split(separator: "/", omittingEmptySubsequences: false)
        segments.removeFirst()  // before the leading slash
        for segment in segments {
            try validate(segment: segment, in: text)
        }
    }

    public static func < (lhs: SPIFFEID, rhs: SPIFFEID) -> Bool { lhs.description < rhs.description }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        try self.init(text)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
