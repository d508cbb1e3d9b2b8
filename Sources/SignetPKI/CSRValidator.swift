import Crypto
import _CryptoExtras
import SwiftASN1
import X509

/// Checks a PKCS#10 request before any of it reaches a certificate: size,
/// encoding, proof of possession (the CSR's own signature) and key type.
///
/// Only the public key is taken from a CSR; subject and requested extensions
/// are ignored because the entry, not the requester, decides what the SVID says.
public enum CSRValidator {
    /// Larger requests are refused before parsing.
    public static let maxBytes = 16 * 1024

    /// Parses a PEM (`CERTIFICATE REQUEST`) or raw DER request and returns its verified public key.
    public static func publicKey(fromPEM text: String) throws(PKIError) -> Certificate.PublicKey {
        guard text.utf8.count <= maxBytes else {
            throw .badCSR("larger than \(maxBytes) bytes")
        }
        let document: PEMDocument
        do {
            document = try PEMDocument(pemString: text)
        } catch {
            throw .badCSR("not a PEM document; send -----BEGIN CERTIFICATE REQUEST----- ... (\(error))")
        }
        guard document.discriminator == "CERTIFICATE REQUEST" || document.discriminator == "NEW CERTIFICATE REQUEST"
        else {
            throw .badCSR("PEM block is \(document.discriminator), expected CERTIFICATE REQUEST")
        }
        return try publicKey(fromDER: document.derBytes)
    }

    public static func publicKey(fromDER der: [UInt8]) throws(PKIError) -> Certificate.PublicKey {
        guard der.count <= maxBytes else { throw .badCSR("larger than \(maxBytes) bytes") }
        let csr: CertificateSigningRequest
        do {
            csr = try CertificateSigningRequest(derEncoded: der)
        } catch {
            throw .badCSR("not a valid PKCS#10 structure (\(error))")
        }
        try checkKeyType(csr.publicKey)
        guard csr.publicKey.isValidSignature(csr.signature, for: csr) else {
            throw .badCSR("signature does not verify with the request's own public key (proof of possession failed)")
        }
        return csr.publicKey
    }

    /// P-256, P-384 and RSA 2048..8192 are accepted; everything else is refused.
    public static func checkKeyType(_ key: Certificate.PublicKey) throws(PKIError) {
        if P256.Signing.PublicKey(key) != nil || P384.Signing.PublicKey(key) != nil { return }
        if let rsa = _RSA.Signing.PublicKey(key) {
            let bits = rsa.keySizeInBits
            guard bits >= 2048, bits <= 8192 else {
                throw .badCSR("RSA key of \(bits) bits; use at least 2048 (at most 8192)")
            }
            return
        }
        throw .badCSR("unsupported key type; use an ECDSA P-256 or P-384 key, or RSA of at least 2048 bits")
    }
}
