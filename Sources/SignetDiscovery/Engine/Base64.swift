/// Minimal base64 / base64url decoding for validators (JWT headers, Docker `auth`, Discord ids,
/// OpenSSH key headers). Decodes a prefix only when asked, so validation stays cheap.
enum Base64 {
    private static let values: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (value, char) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8.enumerated() {
            table[Int(char)] = Int8(value)
        }
        table[Int(UInt8(ascii: "+"))] = 62
        table[Int(UInt8(ascii: "-"))] = 62
        table[Int(UInt8(ascii: "/"))] = 63
        table[Int(UInt8(ascii: "_"))] = 63
        return table
    }()

    /// Decodes standard or URL-safe base64, ignoring `=` padding; nil on any other byte.
    /// `limit` bounds the number of input bytes read (rounded down to a multiple of 4).
    static func decode(_ text: UnsafeBufferPointer<UInt8>, limit: Int = Int.max) -> [UInt8]? {
        var end = min(text.count, limit == Int.max ? text.count : limit / 4 * 4)
        while end > 0, text[end - 1] == UInt8(ascii: "=") { end -= 1 }
        var out = [UInt8]()
        out.reserveCapacity(end * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for index in 0..<end {
            let value = values[Int(text[index])]
            guard value >= 0 else { return nil }
            accumulator = accumulator << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        return out
    }
}
