/// Base64url without padding (RFC 4648 §5, RFC 7515 §2), the only encoding JOSE uses.
///
/// Hand-written rather than `Data(base64Encoded:)` + character swapping because
/// the verifier must be strict: Foundation accepts padding and (on some
/// platforms) ignores stray characters, and every lenient decoder is a way to
/// give one signature several spellings. Decoding here rejects padding, any
/// character outside `A-Z a-z 0-9 - _`, impossible lengths and non-zero
/// trailing bits, so each byte string has exactly one accepted encoding.
public enum Base64URL {
    private static let alphabet: [UInt8] = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// 0...63 for alphabet characters, 0xFF for everything else.
    private static let reverse: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, char) in alphabet.enumerated() { table[Int(char)] = UInt8(index) }
        return table
    }()

    /// Encodes bytes as unpadded base64url.
    public static func encode<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let count = bytes.count
        let outputCount = (count * 4 + 2) / 3
        return String(unsafeUninitializedCapacity: outputCount) { out in
            var o = 0
            var iterator = bytes.makeIterator()
            var remaining = count
            while remaining >= 3 {
                let b0 = iterator.next()!
                let b1 = iterator.next()!
                let b2 = iterator.next()!
                out[o] = alphabet[Int(b0 >> 2)]
                out[o + 1] = alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)]
                out[o + 2] = alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)]
                out[o + 3] = alphabet[Int(b2 & 0x3F)]
                o += 4
                remaining -= 3
            }
            if remaining == 2 {
                let b0 = iterator.next()!
                let b1 = iterator.next()!
                out[o] = alphabet[Int(b0 >> 2)]
                out[o + 1] = alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)]
                out[o + 2] = alphabet[Int((b1 & 0x0F) << 2)]
                o += 3
            } else if remaining == 1 {
                let b0 = iterator.next()!
                out[o] = alphabet[Int(b0 >> 2)]
                out[o + 1] = alphabet[Int((b0 & 0x03) << 4)]
                o += 2
            }
            return o
        }
    }

    /// Decodes strict unpadded base64url; `nil` when the text is not the canonical encoding of some bytes.
    public static func decode<Text: StringProtocol>(_ text: Text) -> [UInt8]? {
        decode(utf8: text.utf8)
    }

    /// Decodes strict unpadded base64url from UTF-8 code units (lets the verifier decode token slices without copying).
    public static func decode<Units: Collection>(utf8 units: Units) -> [UInt8]? where Units.Element == UInt8 {
        let count = units.count
        // A lone trailing character carries only 6 bits: never a whole byte.
        if count % 4 == 1 { return nil }
        var output = [UInt8]()
        output.reserveCapacity(count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for unit in units {
            let value = reverse[Int(unit)]
            if value == 0xFF { return nil }
            accumulator = (accumulator << 6) | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
                accumulator &= (1 << UInt32(bits)) - 1
            }
        }
        // Leftover bits must be zero, or two spellings would decode to the same bytes.
        if accumulator != 0 { return nil }
        return output
    }
}
