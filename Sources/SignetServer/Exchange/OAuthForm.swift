import Foundation

/// A token request body: `application/x-www-form-urlencoded` (RFC 6749 §3.2), decoded strictly.
///
/// Parameters may appear at most once (RFC 6749 §3.2), except `audience` and `resource`, which
/// RFC 8693 §2.1 lets a client repeat. A parameter sent empty counts as absent (RFC 6749 §3.1).
/// Percent escapes must be well formed and the result valid UTF-8: a body that two parsers
/// could read differently is refused rather than guessed at.
struct OAuthForm: Sendable {
    /// Largest body accepted.
    static let maxBytes = 64 * 1024
    /// Parameters that may be repeated.
    static let repeatable: Set<String> = ["audience", "resource"]

    private(set) var values: [String: [String]] = [:]

    init(parsing body: [UInt8]) throws(OAuthError) {
        guard body.count <= Self.maxBytes else {
            throw .invalidRequest("request body is larger than \(Self.maxBytes / 1024) KiB")
        }
        for pair in body.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let name: String
            let value: String
            if let equals = pair.firstIndex(of: UInt8(ascii: "=")) {
                name = try Self.decode(pair[pair.startIndex..<equals])
                value = try Self.decode(pair[(equals + 1)...])
            } else {
                name = try Self.decode(pair[...])
                value = ""
            }
            guard !name.isEmpty else { throw .invalidRequest("form parameter with an empty name") }
            if values[name] != nil, !Self.repeatable.contains(name) {
                throw .invalidRequest("parameter '\(Self.printable(name))' is sent more than once")
            }
            if !value.isEmpty { values[name, default: []].append(value) }
        }
    }

    /// The single value of `name`, or nil when absent or empty.
    subscript(name: String) -> String? { values[name]?.first }

    /// Every value of a repeatable parameter.
    func all(_ name: String) -> [String] { values[name] ?? [] }

    /// The value of a required parameter.
    func required(_ name: String) throws(OAuthError) -> String {
        guard let value = self[name] else { throw .invalidRequest("missing required parameter '\(name)'") }
        return value
    }

    /// `+` is a space; `%XX` is a byte; anything else is literal. The result must be UTF-8.
    static func decode(_ bytes: ArraySlice<UInt8>) throws(OAuthError) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
                index += 1
            } else if byte == UInt8(ascii: "%") {
                guard index + 2 < bytes.endIndex,
                    let high = hex(bytes[index + 1]), let low = hex(bytes[index + 2])
                else {
                    throw .invalidRequest("malformed percent-encoding in the form body")
                }
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(byte)
                index += 1
            }
        }
        guard let text = String(validating: out, as: UTF8.self) else {
            throw .invalidRequest("form body is not valid UTF-8")
        }
        return text
    }

    private static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// A parameter name safe to echo in an error: short and printable ASCII.
    static func printable(_ name: String) -> String {
        let cleaned = String(name.unicodeScalars.prefix(40).map { $0.isASCII && $0.value >= 32 && $0.value < 127 ? Character($0) : "?" })
        return cleaned
    }
}
