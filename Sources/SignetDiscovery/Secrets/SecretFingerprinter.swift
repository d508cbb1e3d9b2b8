import Crypto

/// Keyed fingerprints for secrets: HMAC-SHA256 (swift-crypto) under a per-deployment key.
///
/// A plain hash of a low-entropy secret (a password) can be brute-forced from the inventory, so the
/// inventory only ever stores a MAC under a key it does not publish. The same key gives the same
/// fingerprint for one credential wherever it is found, which is what lets the inventory merge
/// locations; a different key gives unrelated fingerprints. The secret bytes are only held for the
/// duration of the call.
public struct SecretFingerprinter: Sendable {
    private let key: SymmetricKey

    /// A fingerprinter keyed with `key` (any length; HMAC hashes keys longer than a block).
    public init(key: [UInt8]) {
        self.key = SymmetricKey(data: key)
    }

    /// A fingerprinter under a fresh random 256-bit key: fingerprints are then only comparable
    /// within this process (a one-off offline scan without a configured deployment key).
    public static func random() -> SecretFingerprinter {
        SecretFingerprinter(key: SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) })
    }

    /// The raw HMAC-SHA256 of `message`.
    public func mac(_ message: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: message, using: key))
    }

    /// `hmac-sha256:<hex>` for the given secret bytes.
    public func fingerprint(_ secret: [UInt8]) -> String {
        "hmac-sha256:" + Hex.encode(mac(secret))
    }
}

/// Lower-case hexadecimal encoding, kept local to avoid a Foundation round-trip per finding.
enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
