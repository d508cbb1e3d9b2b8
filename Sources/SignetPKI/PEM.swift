import Foundation
import SwiftASN1
import X509

/// PEM helpers for certificate chains and keys, shared by the server, CLI and tests.
public enum PEM {
    /// Concatenated PEM blocks, leaf first, as TLS servers and SPIFFE helpers expect.
    public static func encode(_ certificates: [Certificate]) throws -> String {
        try certificates.map { try $0.serializeAsPEM().pemString }.joined(separator: "\n") + "\n"
    }

    /// All CERTIFICATE blocks in `text`, in order. Other block types are an error.
    public static func certificates(from text: String) throws(PKIError) -> [Certificate] {
        let documents: [PEMDocument]
        do {
            documents = try PEMDocument.parseMultiple(pemString: text)
        } catch {
            throw .invalidInput("not valid PEM: \(error)")
        }
        guard !documents.isEmpty else { throw .invalidInput("no PEM CERTIFICATE block found") }
        var out: [Certificate] = []
        for document in documents {
            guard document.discriminator == "CERTIFICATE" else {
                throw .invalidInput("expected CERTIFICATE blocks, found \(document.discriminator)")
            }
            do {
                out.append(try Certificate(derEncoded: document.derBytes))
            } catch {
                throw .invalidInput("certificate is not valid DER: \(error)")
            }
        }
        return out
    }

    public static func privateKey(from text: String) throws(PKIError) -> Certificate.PrivateKey {
        do {
            return try Certificate.PrivateKey(pemEncoded: text)
        } catch {
            throw .invalidInput("not a supported PEM private key (PKCS#8, SEC1 or PKCS#1): \(error)")
        }
    }

    public static func encode(_ key: Certificate.PrivateKey) throws -> String {
        try key.serializeAsPEM().pemString + "\n"
    }
}
