import Crypto
import SwiftASN1
import X509

/// SHA-256 fingerprints, hex-encoded, used to name keys in records and the inventory.
public enum Fingerprint {
    public static func hex<D: Sequence>(_ bytes: D) -> String where D.Element == UInt8 {
        var out = ""
        out.reserveCapacity(64)
        for byte in bytes {
            out.append(Character(Unicode.Scalar(hexDigits[Int(byte >> 4)])))
            out.append(Character(Unicode.Scalar(hexDigits[Int(byte & 0x0F)])))
        }
        return out
    }

    /// SHA-256 over the DER SubjectPublicKeyInfo (what `openssl pkey -pubin -outform DER | sha256sum`
    /// prints), so a key Signet issued for and the same key found by a scanner share a fingerprint.
    /// (`subjectPublicKeyInfoBytes` is only the key's BIT STRING contents, not the whole structure.)
    public static func publicKey(_ key: Certificate.PublicKey) -> String {
        var serializer = DER.Serializer()
        do {
            try serializer.serialize(key)
        } catch {
            // Serializing a parsed or generated key cannot fail; fall back to the key bits rather than trap.
            return hex(SHA256.hash(data: Array(key.subjectPublicKeyInfoBytes)))
        }
        return hex(SHA256.hash(data: serializer.serializedBytes))
    }

    /// SHA-256 over the whole DER certificate (what `openssl x509 -fingerprint -sha256` prints).
    public static func certificate(der: [UInt8]) -> String {
        hex(SHA256.hash(data: der))
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
}
