import Foundation

/// Shannon entropy gate for generic assignments.
///
/// Human placeholders ("changeme", "aaaaaaaa", "password123") have low per-character entropy;
/// generated secrets have high. The gate is what lets `password=` and `token=` be reported at
/// all without drowning users in noise.
enum Entropy {
    /// Shannon entropy in bits per byte.
    static func bitsPerByte(_ bytes: UnsafeBufferPointer<UInt8>) -> Double {
        guard !bytes.isEmpty else { return 0 }
        return withUnsafeTemporaryAllocation(of: Int32.self, capacity: 256) { counts in
            counts.initialize(repeating: 0)
            for byte in bytes { counts[Int(byte)] += 1 }
            let total = Double(bytes.count)
            var entropy = 0.0
            for count in counts where count > 0 {
                let p = Double(count) / total
                entropy -= p * log2(p)
            }
            return entropy
        }
    }

    /// Number of character classes present (lower, upper, digit, other).
    static func characterClasses(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var lower = false, upper = false, digit = false, other = false
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"): lower = true
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): upper = true
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = true
            default: other = true
            }
        }
        return [lower, upper, digit, other].filter { $0 }.count
    }
}
