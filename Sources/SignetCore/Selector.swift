/// A workload or node property an entry requires, written `type:value`
/// (for example `unix:uid:1000` has type `unix` and value `uid:1000`).
public struct Selector: Hashable, Sendable, Codable, CustomStringConvertible, Comparable {
    public let type: String
    public let value: String

    public init(type: String, value: String) throws(SelectorError) {
        guard !type.isEmpty, type.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
            throw .invalidType(type)
        }
        guard !value.isEmpty, value.utf8.count <= 1024, !value.contains(where: { $0.isNewline }) else {
            throw .invalidValue(value)
        }
        self.type = type
        self.value = value
    }

    /// Parses `type:value`; the value may itself contain colons.
    public init(_ text: String) throws(SelectorError) {
        guard let colon = text.firstIndex(of: ":") else { throw .missingColon(text) }
        try self.init(type: String(text[..<colon]), value: String(text[text.index(after: colon)...]))
    }

    public var description: String { "\(type):\(value)" }

    public static func < (lhs: Selector, rhs: Selector) -> Bool { lhs.description < rhs.description }

    public init(from decoder: any Decoder) throws {
        try self.init(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

public enum SelectorError: Error, Equatable, Sendable, CustomStringConvertible {
    case missingColon(String)
    case invalidType(String)
    case invalidValue(String)

    public var description: String {
        switch self {
        case .missingColon(let s): "selector '\(s)' must be written type:value (e.g. unix:uid:1000)"
        case .invalidType(let s): "selector type '\(s)' must be non-empty letters, digits, '_' or '-'"
        case .invalidValue(let s): "selector value '\(s.prefix(64))' must be non-empty, one line, at most 1024 bytes"
        }
    }
}
