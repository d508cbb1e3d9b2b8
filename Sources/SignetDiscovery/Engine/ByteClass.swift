/// A set of bytes, the engine's replacement for regex character classes.
///
/// Membership is one shift and one mask on a 256-bit bitmap, so validators can walk candidate
/// tokens at memory speed instead of running a regex per line.
struct ByteClass: Sendable, Hashable {
    private var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    /// Builds a class from a regex-like spec: `"A-Za-z0-9_-"`. A `-` between two characters is a
    /// range, anywhere else it is literal.
    init(_ spec: String) {
        let chars = Array(spec.utf8)
        var index = 0
        while index < chars.count {
            if index + 2 < chars.count, chars[index + 1] == UInt8(ascii: "-") {
                for byte in chars[index]...chars[index + 2] { insert(byte) }
                index += 3
            } else {
                insert(chars[index])
                index += 1
            }
        }
    }

    private init(words: (UInt64, UInt64, UInt64, UInt64)) { self.words = words }

    mutating func insert(_ byte: UInt8) {
        let bit = UInt64(1) << UInt64(byte & 63)
        switch byte >> 6 {
        case 0: words.0 |= bit
        case 1: words.1 |= bit
        case 2: words.2 |= bit
        default: words.3 |= bit
        }
    }

    @inline(__always)
    func contains(_ byte: UInt8) -> Bool {
        let word: UInt64
        switch byte >> 6 {
        case 0: word = words.0
        case 1: word = words.1
        case 2: word = words.2
        default: word = words.3
        }
        return word & (UInt64(1) << UInt64(byte & 63)) != 0
    }

    func union(_ other: ByteClass) -> ByteClass {
        ByteClass(words: (words.0 | other.words.0, words.1 | other.words.1,
                          words.2 | other.words.2, words.3 | other.words.3))
    }

    static func == (lhs: ByteClass, rhs: ByteClass) -> Bool {
        lhs.words.0 == rhs.words.0 && lhs.words.1 == rhs.words.1
            && lhs.words.2 == rhs.words.2 && lhs.words.3 == rhs.words.3
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(words.0); hasher.combine(words.1); hasher.combine(words.2); hasher.combine(words.3)
    }

    static let alphanumeric = ByteClass("A-Za-z0-9")
    /// Bytes that continue an identifier-like token; a secret prefix must not be preceded by one.
    static let word = ByteClass("A-Za-z0-9_")
    static let lowerHex = ByteClass("0-9a-f")
    static let hex = ByteClass("0-9a-fA-F")
    static let digits = ByteClass("0-9")
    static let base64 = ByteClass("A-Za-z0-9+/")
    static let base64URL = ByteClass("A-Za-z0-9_-")
    static let upperBase32 = ByteClass("A-Z2-7")
    static let whitespace = ByteClass(" \t\r\n")
}
