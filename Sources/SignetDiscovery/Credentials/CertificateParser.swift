import Crypto
import Foundation
import SignetCore
import SwiftASN1
import X509

/// Reads the facts of an X.509 certificate.
///
/// The TBSCertificate is walked field by field with SwiftASN1, while names and extensions are decoded
/// by swift-certificates: `Certificate(derEncoded:)` alone refuses certificates whose key it cannot
/// use (RSA under 2048 bits, P-192, DSA), and those weak certificates are what a scan must report.
/// The full `Certificate` is still used, when it parses, to check a self-signature.
struct ParsedCertificate {
    var facts: InventoryItem.CertificateFacts
    var publicKey: PublicKeyDescription
    /// The signature algorithm's OID, for weak-signature posture (SHA-1, MD5).
    var signatureOID: ASN1ObjectIdentifier

    init(der: [UInt8]) throws {
        let root = try DERWalk.children(try DER.parse(der))
        guard root.count == 3, root[0].identifier == .sequence else { throw DERWalk.Malformed("not a Certificate") }
        var tbs = try DERWalk.children(root[0])[...]
        if tbs.first?.identifier == DERWalk.contextTag(0) { tbs = tbs.dropFirst() }  // version
        guard tbs.count >= 6 else { throw DERWalk.Malformed("TBSCertificate is missing fields") }
        let fields = Array(tbs)
        let serial = try DERWalk.primitive(fields[0], .integer)
        let issuer = try DistinguishedName(derEncoded: fields[2])
        let validity = try DERWalk.children(fields[3])
        guard validity.count == 2 else { throw DERWalk.Malformed("Validity is not two times") }
        let subject = try DistinguishedName(derEncoded: fields[4])
        publicKey = try PublicKeyDescription(spki: Array(fields[5].encodedBytes))
        signatureOID = try DERWalk.oid(try DERWalk.children(root[1]).first ?? root[1])

        var extensions = Certificate.Extensions()
        if let wrapper = fields.dropFirst(6).first(where: { $0.identifier == DERWalk.contextTag(3) }),
           let list = try DERWalk.children(wrapper).first {
            extensions = try Certificate.Extensions(try DERWalk.children(list).map { try Certificate.Extension(derEncoded: $0) })
        }
        let sans = (try? extensions.subjectAlternativeNames).flatMap { $0 }.map { $0.map(Self.describe) } ?? []
        let isCA: Bool = if case .isCertificateAuthority = (try? extensions.basicConstraints) ?? nil { true } else { false }

        var selfSigned = subject == issuer
        if selfSigned, let certificate = try? Certificate(derEncoded: der) {
            selfSigned = certificate.publicKey.isValidSignature(certificate.signature, for: certificate)
        }
        facts = InventoryItem.CertificateFacts(
            subject: subject.description, issuer: issuer.description,
            serial: serial.drop(while: { $0 == 0 }).map { String(format: "%02X", $0) }.joined(),
            sans: sans, notBefore: try Self.date(validity[0]), notAfter: try Self.date(validity[1]),
            signatureAlgorithm: Self.signatureName(signatureOID), selfSigned: selfSigned, isCA: isCA)
    }

    /// True for SHA-1 and MD5 signatures, which are forgeable (collisions are practical).
    var hasWeakSignature: Bool { Self.weakSignatures.contains(signatureOID) }

    private static func describe(_ name: GeneralName) -> String {
        switch name {
        case .dnsName(let value): "DNS:" + value
        case .rfc822Name(let value): "email:" + value
        case .uniformResourceIdentifier(let value): "URI:" + value
        case .ipAddress(let octets):
            if octets.bytes.count == 4 {
                "IP:" + octets.bytes.map(String.init).joined(separator: ".")
            } else {
                "IP:" + stride(from: 0, to: octets.bytes.count, by: 2).map { offset in
                    let start = octets.bytes.startIndex + offset
                    return String(UInt16(octets.bytes[start]) << 8 | UInt16(octets.bytes[start + 1]), radix: 16)
                }.joined(separator: ":")
            }
        default: String(describing: name)
        }
    }

    private static func date(_ node: ASN1Node) throws -> Date {
        let parts: (Int, Int, Int, Int, Int, Int)
        if node.identifier == .utcTime {
            let time = try UTCTime(derEncoded: node)
            parts = (time.year, time.month, time.day, time.hours, time.minutes, time.seconds)
        } else {
            let time = try GeneralizedTime(derEncoded: node)
            parts = (time.year, time.month, time.day, time.hours, time.minutes, time.seconds)
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let components = DateComponents(year: parts.0, month: parts.1, day: parts.2, hour: parts.3, minute: parts.4, second: parts.5)
        guard let date = calendar.date(from: components) else { throw DERWalk.Malformed("invalid certificate time") }
        return date
    }

    private static let weakSignatures: Set<ASN1ObjectIdentifier> = [
        [1, 2, 840, 113549, 1, 1, 4], [1, 2, 840, 113549, 1, 1, 5], [1, 2, 840, 10045, 4, 1], [1, 2, 840, 10040, 4, 3],
        [1, 3, 14, 3, 2, 29],
    ]

    private static let signatureNames: [ASN1ObjectIdentifier: String] = [
        [1, 2, 840, 113549, 1, 1, 4]: "md5WithRSAEncryption",
        [1, 2, 840, 113549, 1, 1, 5]: "sha1WithRSAEncryption",
        [1, 3, 14, 3, 2, 29]: "sha1WithRSAEncryption",
        [1, 2, 840, 113549, 1, 1, 10]: "rsassaPss",
        [1, 2, 840, 113549, 1, 1, 11]: "sha256WithRSAEncryption",
        [1, 2, 840, 113549, 1, 1, 12]: "sha384WithRSAEncryption",
        [1, 2, 840, 113549, 1, 1, 13]: "sha512WithRSAEncryption",
        [1, 2, 840, 10045, 4, 1]: "ecdsa-with-SHA1",
        [1, 2, 840, 10045, 4, 3, 2]: "ecdsa-with-SHA256",
        [1, 2, 840, 10045, 4, 3, 3]: "ecdsa-with-SHA384",
        [1, 2, 840, 10045, 4, 3, 4]: "ecdsa-with-SHA512",
        [1, 2, 840, 10040, 4, 3]: "dsa-with-SHA1",
        [1, 3, 101, 112]: "Ed25519",
        [1, 3, 101, 113]: "Ed448",
    ]

    static func signatureName(_ oid: ASN1ObjectIdentifier) -> String { signatureNames[oid] ?? oid.description }
}
