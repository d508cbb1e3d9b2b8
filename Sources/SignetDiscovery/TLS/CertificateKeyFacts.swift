import SwiftASN1

/// The outer signature algorithm read straight from the DER, so that signatures swift-crypto
/// refuses to use (SHA-1, MD5) are still named and flagged instead of shown as unknown.
enum CertificateKeyFacts {
    /// Signature algorithms whose hash no longer resists collisions: MD2, MD5 and SHA-1 with RSA,
    /// ECDSA and DSA.
    static let weakSignatures: Set<ASN1ObjectIdentifier> = [
        [1, 2, 840, 113549, 1, 1, 2], [1, 2, 840, 113549, 1, 1, 4], [1, 2, 840, 113549, 1, 1, 5], [1, 3, 14, 3, 2, 29],
        [1, 2, 840, 10045, 4, 1], [1, 2, 840, 10040, 4, 3],
    ]

    /// The `signatureAlgorithm` OID of a DER certificate (its second top-level field).
    static func signatureOID(certificateDER: [UInt8]) -> ASN1ObjectIdentifier? {
        guard let root = try? DER.parse(certificateDER), case .constructed(let nodes) = root.content else { return nil }
        var iterator = nodes.makeIterator()
        _ = iterator.next()
        guard let algorithm = iterator.next(), case .constructed(let parts) = algorithm.content,
            let first = parts.first(where: { _ in true })
        else { return nil }
        return try? ASN1ObjectIdentifier(derEncoded: first)
    }
}
