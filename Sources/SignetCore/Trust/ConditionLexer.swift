/// Splits a condition's source into tokens. Works on UTF-8 bytes so every offset
/// it reports is a byte offset into the source.
struct ConditionToken: Sendable, Hashable {
    enum Kind: Sendable, Hashable {
        case string(String)
        case integer(Double)
        case identifier(String)
        case symbol(String)
        case end
    }

    let kind: Kind
    let offset: Int
}

struct ConditionLexer {
    /// Integers beyond 2^53 would silently lose precision as JSON numbers.
    static let maxIntegerDigits = 15

    static func tokenize(_ bytes: [UInt8]) throws(ConditionError) -> [ConditionToken] {
        var tokens: [ConditionToken] = []
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            let start = index
            switch byte {
            case 0x20, 0x09, 0x0A, 0x0D:
                index += 1
            case UInt8(ascii: "\""):
                index = try stringEnd(bytes, from: index)
                let value: JSONValue
                do {
                    value = try JSONValue.parse(bytes[start..<index])
                } catch {
                    throw ConditionError("invalid string literal: \(error.message)", offset: start + error.offset)
                }
                guard case .string(let text) = value else {
                    throw ConditionError("invalid string literal", offset: start)
                }
                tokens.append(ConditionToken(kind: .string(text), offset: start))
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"):
                if byte == UInt8(ascii: "-") {
                    index += 1
                    guard index < bytes.count, isDigit(bytes[index]) else {
                        throw ConditionError("'-' must start a number (there is no subtraction)", offset: start)
                    }
                }
                let digitsStart = index
                while index < bytes.count, isDigit(bytes[index]) { index += 1 }
                let digits = bytes[digitsStart..<index]
                if digits.count > 1, digits.first == UInt8(ascii: "0") {
                    throw ConditionError("numbers must not have leading zeros", offset: start)
                }
                if digits.count > maxIntegerDigits {
                    throw ConditionError("number has more than \(maxIntegerDigits) digits", offset: start)
                }
                if index < bytes.count, bytes[index] == UInt8(ascii: ".") || isIdentifierByte(bytes[index]) {
                    throw ConditionError("only integers are supported (no fractions or exponents)", offset: start)
                }
                var value = 0.0
                for digit in digits { value = value * 10 + Double(digit - UInt8(ascii: "0")) }
                tokens.append(ConditionToken(kind: .integer(byte == UInt8(ascii: "-") ? -value : value), offset: start))
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "_"):
                while index < bytes.count, isIdentifierByte(bytes[index]) { index += 1 }
                let name = String(decoding: bytes[start..<index], as: UTF8.self)
                tokens.append(ConditionToken(kind: .identifier(name), offset: start))
            default:
                let two = index + 1 < bytes.count ? String(decoding: bytes[index...index + 1], as: UTF8.self) : ""
                if ["==", "!=", "<=", ">=", "&&", "||"].contains(two) {
                    tokens.append(ConditionToken(kind: .symbol(two), offset: start))
                    index += 2
                } else if "()[],.<>!".utf8.contains(byte) {
                    tokens.append(ConditionToken(kind: .symbol(String(UnicodeScalar(byte))), offset: start))
                    index += 1
                } else if byte == UInt8(ascii: "=") {
                    throw ConditionError("use '==' to compare ('=' alone is not an operator)", offset: start)
                } else if byte == UInt8(ascii: "&") || byte == UInt8(ascii: "|") {
                    throw ConditionError("use '&&' or '||'", offset: start)
                } else if byte == UInt8(ascii: "'") {
                    throw ConditionError("strings use double quotes (\"...\")", offset: start)
                } else if byte >= 0x80 {
                    throw ConditionError("non-ASCII character outside a string literal", offset: start)
                } else {
                    throw ConditionError("unexpected character '\(UnicodeScalar(byte))'", offset: start)
                }
            }
        }
        tokens.append(ConditionToken(kind: .end, offset: bytes.count))
        return tokens
    }

    /// Index just past the closing quote of the string starting at `from`.
    private static func stringEnd(_ bytes: [UInt8], from: Int) throws(ConditionError) -> Int {
        var index = from + 1
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\\"): index += 2
            case UInt8(ascii: "\""): return index + 1
            default: index += 1
            }
        }
        throw ConditionError("unterminated string literal", offset: from)
    }

    static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    static func isIdentifierByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"):
            true
        default: false
        }
    }
}
