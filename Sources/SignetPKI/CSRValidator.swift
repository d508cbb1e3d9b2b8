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
            // swift-crypto refuses to load RSA keys under 2048 bits at all; say so instead of "invalid structure".
            if let bits = rsaModulusBits(csrDER: der), bits < 2048 {
                throw .badCSR("RSA key of \(bits) bits; use at least 2048 (at most 8192)")
            }
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

extension CSRValidator {
    /// Reads the modulus size of an RSA key straight from the CSR's ASN.1, for keys the crypto library won't load.
    static func rsaModulusBits(csrDER der: [UInt8]) -> Int? {
        do {
            let request = try DER.parse(der)
            guard case .constructed(let outer) = request.content, let info = outer.first(where: { _ in true }),
                case .constructed(let infoNodes) = info.content
            else { return nil }
            let fields = Array(infoNodes)
            guard fields.count >= 3, case .constructed(let spki) = fields[2].content else { return nil }
            let spkiFields = Array(spki)
            guard spkiFields.count == 2, case .constructed(let algorithm) = spkiFields[0].content,
                let oidNode = algorithm.first(where: { _ in true })
            else { return nil }
            guard try ASN1ObjectIdentifier(derEncoded: oidNode) == [1, 2, 840, 113_549, 1, 1, 1] else { return nil }
            let keyBits = try ASN1BitString(derEncoded: spkiFields[1])
            let rsaKey = try DER.parse(Array(keyBits.bytes))
            guard case .constructed(let rsaFields) = rsaKey.content, let modulusNode = rsaFields.first(where: { _ in true })
            else { return nil }
            var modulus = try ArraySlice<UInt8>(derEncoded: modulusNode)
            while modulus.first == 0 { modulus = modulus.dropFirst() }
            guard let top = modulus.first else { return nil }
            return (modulus.count - 1) * 8 + (8 - top.leadingZeroBitCount)
        } catch {
            return nil
        }
    }
}
