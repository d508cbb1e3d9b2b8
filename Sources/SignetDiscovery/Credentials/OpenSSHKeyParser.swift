import Foundation
import SwiftASN1

/// `OPENSSH PRIVATE KEY` (openssh-key-v1): the public key and cipher name are stored in clear ahead
/// of the (possibly encrypted) private section, so even a passphrase-protected key is fingerprinted
/// without trying passphrases.
///
/// The SSH wire-format public key is converted to the `SubjectPublicKeyInfo` the same key would have
/// in a certificate, so one key seen as an SSH key and as a TLS key shares a fingerprint.
enum OpenSSHKeyParser {
    struct Parsed {
        var spki: [UInt8]
        /// `none` for a key without a passphrase.
        var cipher: String
        var encrypted: Bool { cipher != "none" }
    }

    private static let magic = Array("openssh-key-v1".utf8) + [0]

    static func parse(_ blob: [UInt8]) throws -> Parsed {
        guard blob.starts(with: magic) else { throw DERWalk.Malformed("missing openssh-key-v1 magic") }
        var reader = WireReader(blob[magic.count...])
        let cipher = String(decoding: try reader.string(), as: UTF8.self)
        _ = try reader.string()  // kdf name
        _ = try reader.string()  // kdf options
        guard try reader.uint32() >= 1 else { throw DERWalk.Malformed("OpenSSH key file holds no keys") }
        return Parsed(spki: try spki(fromWire: try reader.string()), cipher: cipher)
    }

    /// `ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256/384/521` wire-format public keys.
    static func spki(fromWire wire: ArraySlice<UInt8>) throws -> [UInt8] {
        var reader = WireReader(wire)
        let type = String(decoding: try reader.string(), as: UTF8.self)
        switch type {
        case "ssh-ed25519":
            return DERWalk.edSPKI(KeyOID.ed25519, raw: try reader.string())
        case "ssh-rsa":
            let exponent = try reader.string()
            let modulus = try reader.string()
            return DERWalk.rsaSPKI(modulusDER: DERWalk.integer(twosComplement: modulus),
                                   exponentDER: DERWalk.integer(twosComplement: exponent))
        case "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521":
            _ = try reader.string()  // curve name, repeated
            let curve: ASN1ObjectIdentifier = switch type {
            case "ecdsa-sha2-nistp256": KeyOID.p256
            case "ecdsa-sha2-nistp384": KeyOID.p384
            default: KeyOID.p521
            }
            return DERWalk.ecSPKI(curve: curve, point: try reader.string())
        default:
            throw DERWalk.Malformed("unsupported SSH key type \(type)")
        }
    }

    /// RFC 4251 `uint32` and length-prefixed `string` fields.
    struct WireReader {
        private var bytes: ArraySlice<UInt8>
        init(_ bytes: ArraySlice<UInt8>) { self.bytes = bytes }

        mutating func uint32() throws -> UInt32 {
            guard bytes.count >= 4 else { throw DERWalk.Malformed("truncated SSH field") }
            let value = bytes.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            bytes = bytes.dropFirst(4)
            return value
        }

        mutating func string() throws -> ArraySlice<UInt8> {
            let length = Int(try uint32())
            guard bytes.count >= length else { throw DERWalk.Malformed("truncated SSH string") }
            let value = bytes.prefix(length)
            bytes = bytes.dropFirst(length)
            return value
        }
    }
}
