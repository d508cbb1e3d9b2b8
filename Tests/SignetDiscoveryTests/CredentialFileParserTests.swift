import Crypto
import Foundation
import SignetCore
import SwiftASN1
import Testing
import X509
import _CryptoExtras

@testable import SignetDiscovery

/// Certificates and keys generated at test time (swift-crypto / swift-certificates), parsed back by
/// `CredentialFileParser`, and scanned as files by `PathScanner`.
@Suite struct CredentialFileParserTests {
    let parser = CredentialFileParser()
    let now = Date()

    // MARK: - Material

    static func certificate(
        key: Certificate.PrivateKey, publicKey: Certificate.PublicKey, name: String, notBefore: Date, notAfter: Date,
        isCA: Bool, sans: [GeneralName] = [], signatureAlgorithm: Certificate.SignatureAlgorithm = .ecdsaWithSHA256
    ) throws -> Certificate {
        let subject = try DistinguishedName { CommonName(name) }
        let extensions = try Certificate.Extensions {
            if isCA { Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil)) }
            if !sans.isEmpty { SubjectAlternativeNames(sans) }
        }
        return try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(bytes: [0x01, 0x23, 0x45]), publicKey: publicKey,
            notValidBefore: notBefore, notValidAfter: notAfter, issuer: subject, subject: subject,
            signatureAlgorithm: signatureAlgorithm, extensions: extensions, issuerPrivateKey: key)
    }

    static func pem(_ certificate: Certificate) throws -> String {
        try certificate.serializeAsPEM().pemString
    }

    static func spkiFingerprint(_ certificate: Certificate) throws -> String {
        var serializer = DER.Serializer()
        try serializer.serialize(certificate.publicKey)
        return "sha256:" + SHA256.hash(data: serializer.serializedBytes).map { String(format: "%02x", $0) }.joined()
    }

    func parse(_ text: String, path: String = "/tmp/credential.pem") -> [InventoryItem] {
        parser.parse(Array(text.utf8), path: path, now: now)
    }

    // MARK: - Certificates

    @Test func selfSignedP256CertificateFacts() throws {
        let key = P256.Signing.PrivateKey()
        let certificate = try Self.certificate(
            key: Certificate.PrivateKey(key), publicKey: Certificate.PublicKey(key.publicKey), name: "api.example",
            notBefore: now - 3600, notAfter: now + 90 * 86400, isCA: true,
            sans: [.dnsName("api.example"), .ipAddress(ASN1OctetString(contentBytes: [10, 0, 0, 7]))])
        let items = parse("# deployed cert\n\n" + (try Self.pem(certificate)), path: "/etc/tls/api.pem")
        let item = try #require(items.first)
        #expect(items.count == 1)
        #expect(item.kind == .x509Certificate)
        #expect(item.fingerprint == (try Self.spkiFingerprint(certificate)))
        #expect(item.algorithm == "EC P-256")
        #expect(item.keySize == 256)
        #expect(item.locations.map(\.line) == [3])
        #expect(item.locations.map(\.type) == ["file"])
        #expect(item.locations.map(\.target) == ["/etc/tls/api.pem"])
        let facts = try #require(item.certificate)
        #expect(facts.subject == "CN=api.example")
        #expect(facts.issuer == "CN=api.example")
        #expect(facts.serial == "012345")
        #expect(facts.sans == ["DNS:api.example", "IP:10.0.0.7"])
        #expect(facts.signatureAlgorithm == "ecdsa-with-SHA256")
        #expect(facts.selfSigned)
        #expect(facts.isCA)
        #expect(abs(facts.notAfter.timeIntervalSince(now + 90 * 86400)) < 1)
        #expect(item.expires == facts.notAfter)
        #expect(item.status == .active)
        #expect(CredentialPosture.notes(for: item, exposedPaths: [], now: now) == [.selfSigned])
    }

    @Test func rsa2048CertificateAndPKCS1KeyShareFingerprint() throws {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let certificate = try Self.certificate(
            key: Certificate.PrivateKey(key), publicKey: Certificate.PublicKey(key.publicKey), name: "rsa.example",
            notBefore: now - 60, notAfter: now + 400 * 86400, isCA: false, signatureAlgorithm: .sha256WithRSAEncryption)
        let cert = try #require(parse(try Self.pem(certificate)).first)
        #expect(cert.algorithm == "RSA")
        #expect(cert.keySize == 2048)
        #expect(cert.certificate?.isCA == false)
        #expect(cert.certificate?.signatureAlgorithm == "sha256WithRSAEncryption")
        #expect(CredentialPosture.notes(for: cert, exposedPaths: [], now: now) == [.selfSigned])

        let pkcs1 = try #require(parse(key.pemRepresentation, path: "/srv/rsa.key").first)  // RSA PRIVATE KEY
        #expect(key.pemRepresentation.contains("BEGIN RSA PRIVATE KEY"))
        #expect(pkcs1.kind == .privateKey)
        #expect(pkcs1.detector == "pem-private-key-pkcs1")
        #expect(pkcs1.fingerprint == cert.fingerprint)
        #expect(pkcs1.keySize == 2048)
        #expect(pkcs1.encrypted == false)
        let pkcs8 = try #require(parse(key.pkcs8PEMRepresentation).first)
        #expect(pkcs8.fingerprint == cert.fingerprint)
        #expect(pkcs8.id != cert.id, "a key and its certificate are different items")
    }

    @Test func p256KeyAsPKCS8AndSEC1MatchesItsCertificate() throws {
        let key = P256.Signing.PrivateKey()
        let certificate = try Self.certificate(
            key: Certificate.PrivateKey(key), publicKey: Certificate.PublicKey(key.publicKey), name: "k",
            notBefore: now - 60, notAfter: now + 86400 * 365, isCA: false)
        let expected = try Self.spkiFingerprint(certificate)
        let pkcs8 = try #require(parse(key.pemRepresentation).first)  // PRIVATE KEY
        #expect(pkcs8.detector == "pem-private-key-pkcs8")
        #expect(pkcs8.fingerprint == expected)
        #expect(pkcs8.algorithm == "EC P-256")
        let sec1PEM = PEMDocument(type: "EC PRIVATE KEY", derBytes: Array(try P256SEC1.der(key))).pemString
        let sec1 = try #require(parse(sec1PEM).first)
        #expect(sec1.detector == "pem-private-key-sec1")
        #expect(sec1.fingerprint == expected)
        #expect(sec1.keySize == 256)
    }

    @Test func ed25519PKCS8Key() throws {
        let key = Curve25519.Signing.PrivateKey()
        let der = [0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]
            + Array(key.rawRepresentation)
        let item = try #require(parse(PEMDocument(type: "PRIVATE KEY", derBytes: der).pemString).first)
        #expect(item.algorithm == "Ed25519")
        #expect(item.keySize == 256)
        let spki = [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00] + Array(key.publicKey.rawRepresentation)
        #expect(item.fingerprint == "sha256:" + SHA256.hash(data: spki).map { String(format: "%02x", $0) }.joined())
    }

    @Test func rsa1024KeyIsWeak() throws {
        let key = try _RSA.Signing.PrivateKey(unsafeKeySize: .init(bitCount: 1024))
        let item = try #require(parse(key.pkcs8PEMRepresentation).first)
        #expect(item.algorithm == "RSA")
        #expect(item.keySize == 1024)
        #expect(CredentialPosture.notes(for: item, exposedPaths: [], now: now) == [.weakKey])
        #expect(CredentialPosture.notes(for: item, exposedPaths: ["/srv/k.pem"], now: now) == [.weakKey, .worldReadablePrivateKey])
    }

    @Test func expiredAndExpiringCertificates() throws {
        let key = P256.Signing.PrivateKey()
        let expired = try Self.certificate(
            key: Certificate.PrivateKey(key), publicKey: Certificate.PublicKey(key.publicKey), name: "old",
            notBefore: now - 400 * 86400, notAfter: now - 86400, isCA: false)
        let item = try #require(parse(try Self.pem(expired)).first)
        #expect(item.status == .expired)
        #expect(CredentialPosture.notes(for: item, exposedPaths: [], now: now) == [.expired, .selfSigned])

        let soon = try Self.certificate(
            key: Certificate.PrivateKey(key), publicKey: Certificate.PublicKey(key.publicKey), name: "soon",
            notBefore: now - 86400, notAfter: now + 10 * 86400, isCA: false)
        let soonItem = try #require(parse(try Self.pem(soon)).first)
        #expect(soonItem.status == .active)
        #expect(CredentialPosture.notes(for: soonItem, exposedPaths: [], now: now).first == .expiringSoon)
    }

    // MARK: - Encrypted keys and negatives

    @Test func encryptedPEMKeysAreFlaggedWithoutTheirPublicHalf() throws {
        let body = Data((0..<96).map { UInt8($0) }).base64EncodedString(options: .lineLength64Characters)
        let legacy = """
            -----BEGIN RSA PRIVATE KEY-----
            Proc-Type: 4,ENCRYPTED
            DEK-Info: AES-256-CBC,3F2A5C0E6B1D4A7F9E8C2B1A0D3F5E7C

            \(body)
            -----END RSA PRIVATE KEY-----
            """
        let item = try #require(parse(legacy).first)
        #expect(item.encrypted)
        #expect(item.kind == .privateKey)
        #expect(item.algorithm == "RSA")
        #expect(item.keySize == nil)
        let pkcs8 = "-----BEGIN ENCRYPTED PRIVATE KEY-----\n\(body)\n-----END ENCRYPTED PRIVATE KEY-----\n"
        let encrypted = try #require(parse(pkcs8).first)
        #expect(encrypted.encrypted)
        #expect(encrypted.detector == "pem-private-key-pkcs8")
    }

    @Test func malformedBlocksYieldNothing() throws {
        #expect(parse("-----BEGIN CERTIFICATE-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A\n-----END CERTIFICATE-----\n").isEmpty)
        #expect(parse("-----BEGIN PRIVATE KEY-----\n!!!not base64!!!\n-----END PRIVATE KEY-----\n").isEmpty)
        #expect(parse("-----BEGIN RSA PRIVATE KEY-----\nMAMCAQA=\n").isEmpty, "no END line")
        #expect(parse("-----BEGIN PUBLIC KEY-----\nMAMCAQA=\n-----END PUBLIC KEY-----\n").isEmpty)
        #expect(parser.parse([0x30, 0x03, 0x02, 0x01, 0x00], path: "/x/cert.der").isEmpty)
    }

    @Test func derCertificateOnlyByExtension() throws {
        let key = P256.Signing.PrivateKey()
        let certificate = try Self.certificate(
            key: Certificate.PrivateKey(key), publicKey: Certificate.PublicKey(key.publicKey), name: "der",
            notBefore: now - 60, notAfter: now + 86400 * 100, isCA: false)
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        let der = serializer.serializedBytes
        let item = try #require(parser.parse(der, path: "/x/server.cer").first)
        #expect(item.detector == "der-certificate")
        #expect(item.locations.first?.line == nil)
        #expect(parser.parse(der, path: "/x/blob.bin").isEmpty)
    }

    // MARK: - Through the path scanner

    @Test func pathScanMergesSightingsAndReportsExposure() async throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let key = P256.Signing.PrivateKey()
        let certificate = try Self.certificate(
            key: Certificate.PrivateKey(key), publicKey: Certificate.PublicKey(key.publicKey), name: "dup",
            notBefore: now - 60, notAfter: now + 86400 * 200, isCA: false)
        let pem = try Self.pem(certificate)
        try pem.write(toFile: directory + "/a.pem", atomically: true, encoding: .utf8)
        try ("chain:\n" + pem).write(toFile: directory + "/b.txt", atomically: true, encoding: .utf8)
        try key.pemRepresentation.write(toFile: directory + "/tls.key", atomically: true, encoding: .utf8)
        chmod(directory + "/tls.key", 0o644)
        try Data([0x30, 0x82, 0x00, 0x00, 0x00]).write(to: URL(fileURLWithPath: directory + "/bundle.p12"))

        let report = await PathScanner(scanner: TestSupport.scanner).scan([directory])
        #expect(report.credentials.count == 3)
        let cert = try #require(report.credentials.first { $0.item.kind == .x509Certificate })
        #expect(cert.item.locations.map(\.target) == [directory + "/a.pem", directory + "/b.txt"])
        #expect(cert.item.locations.map(\.line) == [1, 2])
        #expect(cert.exposedPaths.isEmpty, "certificates are public")
        let privateKey = try #require(report.credentials.first { $0.item.kind == .privateKey })
        #expect(privateKey.item.fingerprint == cert.item.fingerprint)
        #expect(privateKey.exposedPaths == [directory + "/tls.key"])
        #expect(privateKey.posture == [.worldReadablePrivateKey])
        let bundle = try #require(report.credentials.first { $0.item.kind == .pkcs12 })
        #expect(bundle.item.encrypted)
        #expect(report.filesSkippedBinary == 0, "a PKCS#12 file is read as a credential")

        chmod(directory + "/tls.key", 0o600)
        let again = await PathScanner(scanner: TestSupport.scanner).scan([directory + "/tls.key"])
        #expect(again.credentials.first?.posture == [])
    }
}

/// SEC1 `ECPrivateKey` DER for a P-256 key (swift-crypto exposes PKCS#8 and raw forms only).
enum P256SEC1 {
    static func der(_ key: P256.Signing.PrivateKey) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.appendConstructedNode(identifier: .sequence) { s in
            try s.serialize(1)
            try s.serialize(ASN1OctetString(contentBytes: ArraySlice(key.rawRepresentation)))
            try s.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { s in
                try s.serialize(ASN1ObjectIdentifier("1.2.840.10045.3.1.7"))
            }
            try s.serialize(explicitlyTaggedWithTagNumber: 1, tagClass: .contextSpecific) { s in
                try s.serialize(ASN1BitString(bytes: ArraySlice(key.publicKey.x963Representation)))
            }
        }
        return serializer.serializedBytes
    }
}
