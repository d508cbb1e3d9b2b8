import Foundation
import SwiftASN1

/// Small DER helpers for the credential parsers: reading children of a constructed node and building
/// the exact `SubjectPublicKeyInfo` bytes a certificate would carry for a key, so a key found on its
/// own and the same key inside a certificate hash to the same fingerprint.
enum DERWalk {
    /// Thrown when bytes are not the structure a parser expected; the caller skips the block.
    struct Malformed: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    static func children(_ node: ASN1Node) throws -> [ASN1Node] {
        guard case .constructed(let nodes) = node.content else { throw Malformed("expected a constructed node") }
        return Array(nodes)
    }

    static func primitive(_ node: ASN1Node, _ identifier: ASN1Identifier) throws -> ArraySlice<UInt8> {
        guard node.identifier == identifier, case .primitive(let bytes) = node.content else {
            throw Malformed("expected \(identifier)")
        }
        return bytes
    }

    static func oid(_ node: ASN1Node) throws -> ASN1ObjectIdentifier {
        try ASN1ObjectIdentifier(derEncoded: node)
    }

    /// The payload of a BIT STRING with no unused bits (keys and signatures always are whole bytes).
    static func bitStringBytes(_ node: ASN1Node) throws -> ArraySlice<UInt8> {
        try ASN1BitString(derEncoded: node).bytes
    }

    static func octets(_ node: ASN1Node) throws -> ArraySlice<UInt8> {
        try primitive(node, .octetString)
    }

    /// The significant bit length of an unsigned big-endian integer.
    static func bitLength(_ magnitude: ArraySlice<UInt8>) -> Int {
        let trimmed = magnitude.drop(while: { $0 == 0 })
        guard let first = trimmed.first else { return 0 }
        return (trimmed.count - 1) * 8 + (8 - first.leadingZeroBitCount)
    }

    static func contextTag(_ number: UInt) -> ASN1Identifier {
        ASN1Identifier(tagWithNumber: number, tagClass: .contextSpecific)
    }

    // MARK: - Encoding

    static func tlv(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [tag]
        let count = content.count
        if count < 0x80 {
            out.append(UInt8(count))
        } else {
            var lengthBytes: [UInt8] = []
            var remaining = count
            while remaining > 0 {
                lengthBytes.insert(UInt8(remaining & 0xFF), at: 0)
                remaining >>= 8
            }
            out.append(0x80 | UInt8(lengthBytes.count))
            out += lengthBytes
        }
        return out + content
    }

    static func sequence(_ parts: [UInt8]...) -> [UInt8] { tlv(0x30, parts.flatMap { $0 }) }

    static func oidBytes(_ oid: ASN1ObjectIdentifier) -> [UInt8] {
        var serializer = DER.Serializer()
        try? serializer.serialize(oid)
        return serializer.serializedBytes
    }

    /// A DER INTEGER from a two's-complement big-endian value (an SSH `mpint`), minimally encoded.
    static func integer(twosComplement bytes: ArraySlice<UInt8>) -> [UInt8] {
        var content = Array(bytes)
        while content.count > 1, content[0] == 0, content[1] & 0x80 == 0 { content.removeFirst() }
        if content.isEmpty { content = [0] }
        return tlv(0x02, content)
    }

    static func bitString(_ bytes: some Sequence<UInt8>) -> [UInt8] { tlv(0x03, [0] + Array(bytes)) }

    /// `SubjectPublicKeyInfo` for RSA from the DER INTEGERs of the modulus and exponent (as encoded).
    static func rsaSPKI(modulusDER: [UInt8], exponentDER: [UInt8]) -> [UInt8] {
        sequence(sequence(oidBytes(KeyOID.rsa), [0x05, 0x00]), bitString(sequence(modulusDER, exponentDER)))
    }

    static func ecSPKI(curve: ASN1ObjectIdentifier, point: some Sequence<UInt8>) -> [UInt8] {
        sequence(sequence(oidBytes(KeyOID.ecPublicKey), oidBytes(curve)), bitString(point))
    }

    static func edSPKI(_ algorithm: ASN1ObjectIdentifier, raw: some Sequence<UInt8>) -> [UInt8] {
        sequence(sequence(oidBytes(algorithm)), bitString(raw))
    }
}

/// Object identifiers of the key algorithms and curves the scanner names.
enum KeyOID {
    static let rsa: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 1]
    static let rsaPSS: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 10]
    static let ecPublicKey: ASN1ObjectIdentifier = [1, 2, 840, 10045, 2, 1]
    static let dsa: ASN1ObjectIdentifier = [1, 2, 840, 10040, 4, 1]
    static let ed25519: ASN1ObjectIdentifier = [1, 3, 101, 112]
    static let ed448: ASN1ObjectIdentifier = [1, 3, 101, 113]
    static let p192: ASN1ObjectIdentifier = [1, 2, 840, 10045, 3, 1, 1]
    static let p224: ASN1ObjectIdentifier = [1, 3, 132, 0, 33]
    static let p256: ASN1ObjectIdentifier = [1, 2, 840, 10045, 3, 1, 7]
    static let p384: ASN1ObjectIdentifier = [1, 3, 132, 0, 34]
    static let p521: ASN1ObjectIdentifier = [1, 3, 132, 0, 35]
    static let secp256k1: ASN1ObjectIdentifier = [1, 3, 132, 0, 10]

    /// Curve OID -> (name, bits).
    static let curves: [ASN1ObjectIdentifier: (String, Int)] = [
        p192: ("P-192", 192), p224: ("P-224", 224), p256: ("P-256", 256), p384: ("P-384", 384),
        p521: ("P-521", 521), secp256k1: ("secp256k1", 256),
    ]
}
