/// Checksums embedded in some token formats. Validating them turns "looks like a token" into
/// "is a token" at almost no cost, which is how the engine keeps precision without context.
enum Checksums {
    private static let crcTable: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// CRC-32 (IEEE 802.3), as used by GitHub and npm token checksums.
    static func crc32(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }

    /// Value of a base62 digit in the `0-9A-Za-z` alphabet, or nil.
    private static func base62Digit(_ byte: UInt8) -> UInt64? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt64(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): UInt64(byte - UInt8(ascii: "A")) + 10
        case UInt8(ascii: "a")...UInt8(ascii: "z"): UInt64(byte - UInt8(ascii: "a")) + 36
        default: nil
        }
    }

    /// GitHub (`ghp_` and friends) and npm (`npm_`) tokens: a 4-byte prefix, 30 random base62
    /// characters, then the CRC-32 of those 30 characters as 6 base62 digits.
    /// See "Behind GitHub's new authentication token formats" (2021).
    static func hasValidPrefixedCRC32(_ token: UnsafeBufferPointer<UInt8>, prefixLength: Int) -> Bool {
        guard token.count == prefixLength + 36 else { return false }
        let random = UnsafeBufferPointer(rebasing: token[prefixLength..<(prefixLength + 30)])
        var encoded: UInt64 = 0
        for byte in token[(prefixLength + 30)...] {
            guard let digit = base62Digit(byte) else { return false }
            encoded = encoded * 62 + digit
        }
        return encoded == UInt64(crc32(random))
    }

    private static let bech32Alphabet = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8)
    private static let bech32Values: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (value, char) in bech32Alphabet.enumerated() {
            table[Int(char)] = Int8(value)
            table[Int(char) & ~0x20] = Int8(value)  // upper case
        }
        return table
    }()

    /// BIP-173 bech32 checksum over `hrp` + `1` + data (case-insensitive). age secret keys are
    /// bech32 with the human-readable part `age-secret-key-`.
    static func isValidBech32(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let separator = text.lastIndex(of: UInt8(ascii: "1")), separator > 0,
              text.count - separator - 1 >= 6 else { return false }
        var values = [UInt8]()
        values.reserveCapacity(separator * 2 + 1 + text.count - separator)
        for byte in text[..<separator] { values.append((byte | 0x20) >> 5) }
        values.append(0)
        for byte in text[..<separator] { values.append((byte | 0x20) & 31) }
        for byte in text[(separator + 1)...] {
            let value = bech32Values[Int(byte)]
            guard value >= 0 else { return false }
            values.append(UInt8(value))
        }
        let generator: [UInt32] = [0x3B6A_57B2, 0x2650_8E6D, 0x1EA1_19FA, 0x3D42_33DD, 0x2A14_62B3]
        var checksum: UInt32 = 1
        for value in values {
            let top = checksum >> 25
            checksum = (checksum & 0x1FF_FFFF) << 5 ^ UInt32(value)
            for bit in 0..<5 where (top >> UInt32(bit)) & 1 == 1 { checksum ^= generator[bit] }
        }
        return checksum == 1
    }
}
