import Crypto
import _CryptoExtras
import Foundation
import SwiftASN1
import Testing
import X509
@testable import SignetPKI

struct CSRValidatorTests {
    func csrPEM(_ key: Certificate.PrivateKey) throws -> String {
        try CertificateSigningRequest(version: .v1, subject: DistinguishedName(), privateKey: key, attributes: .init())
            .serializeAsPEM().pemString
    }

    @Test func acceptsSupportedKeys() throws {
        for key in [Certificate.PrivateKey(P256.Signing.PrivateKey()), .init(P384.Signing.PrivateKey()),
                    .init(try _RSA.Signing.PrivateKey(keySize: .bits2048))] {
            let publicKey = try CSRValidator.publicKey(fromPEM: try csrPEM(key))
            #expect(publicKey == key.publicKey)
        }
    }

    func expectBadCSR(_ pem: String, containing text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try CSRValidator.publicKey(fromPEM: pem)
            Issue.record("accepted a bad CSR", sourceLocation: sourceLocation)
        } catch {
            #expect(error.description.contains(text), "\(error.description)", sourceLocation: sourceLocation)
        }
    }

    @Test func refusesGarbage() {
        expectBadCSR("hello", containing: "not a PEM document")
        expectBadCSR("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----", containing: "PKCS#10")
    }

    @Test func refusesOtherPEMTypes() throws {
        let key = P256.Signing.PrivateKey()
        expectBadCSR(key.pemRepresentation, containing: "expected CERTIFICATE REQUEST")
    }

    @Test func refusesWrongSignature() throws {
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let csr = try CertificateSigningRequest(version: .v1, subject: DistinguishedName(), privateKey: key, attributes: .init())
        var serializer = DER.Serializer()
        try serializer.serialize(csr)
        var der = serializer.serializedBytes
        der[der.count - 5] ^= 0x01  // inside the signature BIT STRING
        let pem = PEMDocument(type: "CERTIFICATE REQUEST", derBytes: der).pemString
        expectBadCSR(pem, containing: "proof of possession")
    }

    @Test func refusesUnsupportedKeyTypes() throws {
        expectBadCSR(try csrPEM(.init(Curve25519.Signing.PrivateKey())), containing: "unsupported key type")
        expectBadCSR(try csrPEM(.init(P521.Signing.PrivateKey())), containing: "unsupported key type")
    }

    @Test func refusesWeakRSA() throws {
        // swift-crypto refuses to generate RSA-1024, so the key comes from a fixed test vector.
        let pem = try String(contentsOf: #require(Bundle.module.url(forResource: "rsa1024-csr", withExtension: "pem", subdirectory: "Fixtures")), encoding: .utf8)
        expectBadCSR(pem, containing: "1024 bits")
    }

    @Test func refusesOversize() {
        expectBadCSR(String(repeating: "A", count: CSRValidator.maxBytes + 1), containing: "larger than")
    }
}
