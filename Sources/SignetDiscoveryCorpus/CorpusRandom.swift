import Foundation

/// SplitMix64: a tiny deterministic generator so every corpus and benchmark tree is reproducible
/// from its seed, on every platform.
public struct CorpusRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }
    public mutating func chance(_ probability: Double) -> Bool { Double.random(in: 0..<1, using: &self) < probability }
    public mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &self)] }

    public mutating func string(_ alphabet: String, count: Int) -> String {
        let chars = Array(alphabet)
        return String((0..<count).map { _ in chars[Int.random(in: 0..<chars.count, using: &self)] })
    }

    public mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255, using: &self) } }

    public static let upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    public static let lower = "abcdefghijklmnopqrstuvwxyz"
    public static let digits = "0123456789"
    public static let alphanumeric = upper + lower + digits
    public static let hex = "0123456789abcdef"
    public static let base64 = alphanumeric + "+/"
    public static let base64URL = alphanumeric + "_-"

    public mutating func alphanumeric(_ count: Int) -> String { string(Self.alphanumeric, count: count) }
    public mutating func hex(_ count: Int) -> String { string(Self.hex, count: count) }
    public mutating func base64URL(_ count: Int) -> String { string(Self.base64URL, count: count) }
    public mutating func base64(_ count: Int) -> String { string(Self.base64, count: count) }
    public mutating func digits(_ count: Int) -> String { string(Self.digits, count: count) }

    public mutating func uuid() -> String {
        "\(hex(8))-\(hex(4))-4\(hex(3))-\(pick(["8", "9", "a", "b"]))\(hex(3))-\(hex(12))"
    }
}

/// Encoders the fake-secret generator needs, written independently of the engine's validators
/// so a test failure means one of them is wrong rather than both agreeing on the same bug.
public enum CorpusEncoding {
    public static func base64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

    public static func base64URL(_ bytes: [UInt8]) -> String {
        base64(bytes).replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Bitwise CRC-32 (no table), IEEE polynomial.
    public static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc >> 1) ^ (crc & 1 == 1 ? 0xEDB8_8320 : 0) }
        }
        return ~crc
    }

    /// 6-digit base62 (0-9A-Za-z), left-padded with zeros.
    public static func base62(_ value: UInt32, width: Int = 6) -> String {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        var digits: [Character] = []
        var rest = UInt64(value)
        while rest > 0 {
            digits.append(alphabet[Int(rest % 62)])
            rest /= 62
        }
        while digits.count < width { digits.append("0") }
        return String(digits.reversed())
    }

    /// BIP-173 bech32 encoding of 8-bit data.
    public static func bech32(hrp: String, data: [UInt8]) -> String {
        let charset = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l")
        var values: [UInt8] = []
        var accumulator = 0, bits = 0
        for byte in data {
            accumulator = accumulator << 8 | Int(byte)
            bits += 8
            while bits >= 5 {
                bits -= 5
                values.append(UInt8((accumulator >> bits) & 31))
            }
        }
        if bits > 0 { values.append(UInt8((accumulator << (5 - bits)) & 31)) }
        let hrpBytes = Array(hrp.utf8)
        let expanded = hrpBytes.map { $0 >> 5 } + [0] + hrpBytes.map { $0 & 31 }
        let generator: [UInt32] = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3]
        var checksum: UInt32 = 1
        for value in expanded + values + [0, 0, 0, 0, 0, 0] {
            let top = checksum >> 25
            checksum = (checksum & 0x1ffffff) << 5 ^ UInt32(value)
            for i in 0..<5 where (top >> UInt32(i)) & 1 == 1 { checksum ^= generator[i] }
        }
        checksum ^= 1
        let checksumValues = (0..<6).map { UInt8((checksum >> UInt32(5 * (5 - $0))) & 31) }
        return hrp + "1" + String((values + checksumValues).map { charset[Int($0)] })
    }
}
