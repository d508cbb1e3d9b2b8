import Crypto
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import SignetCore
import SignetDiscovery
import SwiftASN1
import Testing
import X509
import _CryptoExtras

/// Real NIOSSL servers on 127.0.0.1 with certificates made at test time, scanned by the real scanner.
@Suite struct TLSEndpointScannerTests {
    let now = Date()

    // MARK: Certificates

    struct Issued {
        var certificate: Certificate
        var key: Certificate.PrivateKey
        var keyPEM: String
    }

    func authority(_ name: String) throws -> Issued {
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName { CommonName(name) }
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
            notValidBefore: now - 3600, notValidAfter: now + 86_400 * 365, issuer: subject, subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            }, issuerPrivateKey: .init(key))
        return Issued(certificate: certificate, key: .init(key), keyPEM: key.pemRepresentation)
    }

    func leaf(
        _ name: String, issuer: Issued?, notBefore: Date? = nil, notAfter: Date? = nil,
        signatureAlgorithm: Certificate.SignatureAlgorithm = .ecdsaWithSHA256
    ) throws -> Issued {
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName { CommonName(name) }
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
            notValidBefore: notBefore ?? now - 3600, notValidAfter: notAfter ?? now + 86_400 * 90,
            issuer: issuer?.certificate.subject ?? subject, subject: subject, signatureAlgorithm: signatureAlgorithm,
            extensions: try Certificate.Extensions {
                BasicConstraints.notCertificateAuthority
                SubjectAlternativeNames([.dnsName(name), .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1]))])
            }, issuerPrivateKey: issuer?.key ?? .init(key))
        return Issued(certificate: certificate, key: .init(key), keyPEM: key.pemRepresentation)
    }

    // MARK: Servers

    /// A TLS listener serving `chain` (leaf first) with `keyPEM`; closed by the caller.
    func serve(_ chain: [Certificate], keyPEM: String) async throws -> any Channel {
        let certificates = try chain.map { certificate -> NIOSSLCertificateSource in
            var serializer = DER.Serializer()
            try serializer.serialize(certificate)
            return .certificate(try NIOSSLCertificate(bytes: serializer.serializedBytes, format: .der))
        }
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: certificates, privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem)))
        let context = try NIOSSLContext(configuration: configuration)
        return try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    func scan(
        _ channel: any Channel, sni: String? = "localhost", roots: [Certificate] = [], timeout: Duration = .seconds(3)
    ) async throws -> TLSEndpointResult {
        let port = try #require(channel.localAddress?.port)
        let scanner = TLSEndpointScanner(options: TLSScanOptions(
            serverName: sni, timeout: timeout, trustRoots: roots, useSystemRoots: false))
        let report = try await scanner.scan([TLSTarget(host: "127.0.0.1", port: port)], now: now)
        return try #require(report.endpoints.first)
    }

    // MARK: Chains

    @Test func validChainFromTrustedCAHasNoFindings() async throws {
        let ca = try authority("Test Root CA")
        let served = try leaf("localhost", issuer: ca)
        let server = try await serve([served.certificate], keyPEM: served.keyPEM)
        defer { server.close(promise: nil) }

        let result = try await scan(server, roots: [ca.certificate])
        #expect(result.failure == nil)
        #expect(result.findings.isEmpty, "\(result.findings)")
        #expect(result.trusted)
        #expect(result.serverName == "localhost")
        let item = try #require(result.leaf)
        #expect(item.kind == .x509Certificate)
        // SHA-256 of the whole DER SubjectPublicKeyInfo (not swift-certificates' subjectPublicKeyInfoBytes,
        // which is only the key's BIT STRING contents), as `openssl pkey -pubout -outform DER` gives.
        var serializer = DER.Serializer()
        try serializer.serialize(served.certificate.publicKey)
        let spki = serializer.serializedBytes
        #expect(item.fingerprint == "sha256:" + SHA256.hash(data: spki).map { String(format: "%02x", $0) }.joined())
        #expect(item.algorithm == "EC P-256", "\(String(describing: item.algorithm))")
        #expect(item.keySize == 256)
        #expect(item.locations.first?.type == "tls")
        #expect(item.locations.first?.target == "127.0.0.1:\(try #require(server.localAddress?.port))")
        #expect(item.certificate?.sans == ["DNS:localhost", "IP:127.0.0.1"])
        #expect(item.certificate?.issuer == ca.certificate.subject.description)
        #expect(item.certificate?.signatureAlgorithm == "ecdsa-with-SHA256")
        #expect(item.certificate?.selfSigned == false)
        #expect(item.status == .active)
        #expect(result.tlsVersion == "TLSv1.3")
    }

    @Test func sameCAIsUntrustedWithoutItsRoot() async throws {
        let ca = try authority("Private Root CA")
        let served = try leaf("localhost", issuer: ca)
        let server = try await serve([served.certificate, ca.certificate], keyPEM: served.keyPEM)
        defer { server.close(promise: nil) }

        let result = try await scan(server)
        #expect(!result.trusted)
        #expect(result.findings.map(\.code) == ["untrusted-root"])
        #expect(result.chainSubjects.count == 2)
    }

    @Test func leafWithoutItsIntermediateIsAnIncompleteChain() async throws {
        let root = try authority("Root CA")
        let intermediateKey = P256.Signing.PrivateKey()
        let intermediateName = try DistinguishedName { CommonName("Issuing CA") }
        let intermediate = Issued(
            certificate: try Certificate(
                version: .v3, serialNumber: .init(), publicKey: .init(intermediateKey.publicKey),
                notValidBefore: now - 3600, notValidAfter: now + 86_400 * 200, issuer: root.certificate.subject,
                subject: intermediateName, signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                }, issuerPrivateKey: root.key),
            key: .init(intermediateKey), keyPEM: intermediateKey.pemRepresentation)
        let served = try leaf("localhost", issuer: intermediate)

        let partial = try await serve([served.certificate], keyPEM: served.keyPEM)
        defer { partial.close(promise: nil) }
        let missing = try await scan(partial, roots: [root.certificate])
        #expect(missing.findings.map(\.code) == ["incomplete-chain"])
        #expect(!missing.trusted)

        let full = try await serve([served.certificate, intermediate.certificate], keyPEM: served.keyPEM)
        defer { full.close(promise: nil) }
        let complete = try await scan(full, roots: [root.certificate])
        #expect(complete.findings.isEmpty, "\(complete.findings)")
        #expect(complete.trusted)
    }

    @Test func expiredLeafIsReportedAsExpiredNotUntrusted() async throws {
        let ca = try authority("Test Root CA")
        let served = try leaf("localhost", issuer: ca, notBefore: now - 86_400 * 60, notAfter: now - 86_400)
        let server = try await serve([served.certificate], keyPEM: served.keyPEM)
        defer { server.close(promise: nil) }

        let result = try await scan(server, roots: [ca.certificate])
        #expect(result.findings.map(\.code) == ["expired"])
        #expect(result.findings.first?.severity == .critical)
        #expect(result.trusted)
        #expect(result.leaf?.status == .expired)
    }

    @Test func leafExpiringSoonIsAWarning() async throws {
        let ca = try authority("Test Root CA")
        let served = try leaf("localhost", issuer: ca, notAfter: now + 86_400 * 10)
        let server = try await serve([served.certificate], keyPEM: served.keyPEM)
        defer { server.close(promise: nil) }

        let result = try await scan(server, roots: [ca.certificate])
        #expect(result.findings.map(\.code) == ["expiring-soon"])
        #expect(result.findings.first?.severity == .medium)
    }

    @Test func selfSignedLeafIsReportedOnce() async throws {
        let served = try leaf("localhost", issuer: nil)
        let server = try await serve([served.certificate], keyPEM: served.keyPEM)
        defer { server.close(promise: nil) }

        let result = try await scan(server)
        #expect(result.findings.map(\.code) == ["self-signed"])
        #expect(result.leaf?.certificate?.selfSigned == true)
        #expect(!result.trusted)
    }

    @Test func hostnameMismatchAgainstTheSNIName() async throws {
        let ca = try authority("Test Root CA")
        let served = try leaf("other.example", issuer: ca)
        let server = try await serve([served.certificate], keyPEM: served.keyPEM)
        defer { server.close(promise: nil) }

        let mismatch = try await scan(server, sni: "localhost", roots: [ca.certificate])
        #expect(mismatch.findings.map(\.code) == ["hostname-mismatch"])
        let matching = try await scan(server, sni: "other.example", roots: [ca.certificate])
        #expect(matching.findings.isEmpty, "\(matching.findings)")
        // No SNI for an IP target: the IP SAN 127.0.0.1 is what is compared.
        let byAddress = try await scan(server, sni: nil, roots: [ca.certificate])
        #expect(byAddress.serverName == nil)
        #expect(byAddress.findings.isEmpty, "\(byAddress.findings)")
    }

    @Test func sha1SignatureIsWeak() async throws {
        let caKey = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let caName = try DistinguishedName { CommonName("SHA-1 CA") }
        let ca = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(caKey.publicKey), notValidBefore: now - 3600,
            notValidAfter: now + 86_400 * 365, issuer: caName, subject: caName, signatureAlgorithm: .sha256WithRSAEncryption,
            extensions: try Certificate.Extensions { Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil)) },
            issuerPrivateKey: .init(caKey))
        let issuer = Issued(certificate: ca, key: .init(caKey), keyPEM: caKey.pemRepresentation)
        let served: Issued
        do {
            served = try leaf("localhost", issuer: issuer, signatureAlgorithm: .sha1WithRSAEncryption)
        } catch {
            // swift-certificates may refuse to produce SHA-1 signatures; then there is nothing to serve.
            print("skipping: swift-certificates cannot sign with SHA-1: \(error)")
            return
        }
        let server = try await serve([served.certificate], keyPEM: served.keyPEM)
        defer { server.close(promise: nil) }

        let result = try await scan(server, roots: [ca])
        #expect(result.findings.map(\.code).contains("weak-signature"))
        #expect(result.leaf?.certificate?.signatureAlgorithm == "sha1WithRSAEncryption")
    }

    // MARK: Failures

    @Test func closedPortIsConnectionRefused() async throws {
        let probe = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(probe.localAddress?.port)
        try await probe.close()

        let scanner = TLSEndpointScanner(options: TLSScanOptions(useSystemRoots: false))
        let report = try await scanner.scan([TLSTarget(host: "127.0.0.1", port: port)])
        #expect(report.endpoints.first?.failure == .connectionRefused)
        #expect(report.items.isEmpty)
    }

    @Test func silentListenerTimesOutWithinTheLimit() async throws {
        let silent = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        defer { silent.close(promise: nil) }
        let port = try #require(silent.localAddress?.port)

        let scanner = TLSEndpointScanner(options: TLSScanOptions(timeout: .milliseconds(500), useSystemRoots: false))
        let clock = ContinuousClock()
        let started = clock.now
        let report = try await scanner.scan([TLSTarget(host: "127.0.0.1", port: port)])
        let elapsed = clock.now - started
        #expect(report.endpoints.first?.failure?.code == "timeout")
        // Without the limit the handshake would wait forever; the upper bound leaves room for a loaded machine.
        #expect(elapsed >= .milliseconds(450) && elapsed < .seconds(10), "took \(elapsed)")
    }

    @Test func manyEndpointsAreScannedConcurrentlyAndMerged() async throws {
        let ca = try authority("Test Root CA")
        let served = try leaf("localhost", issuer: ca)
        var servers: [any Channel] = []
        for _ in 0..<6 { servers.append(try await serve([served.certificate], keyPEM: served.keyPEM)) }
        defer { servers.forEach { $0.close(promise: nil) } }
        let targets = servers.compactMap { $0.localAddress?.port }.map { TLSTarget(host: "127.0.0.1", port: $0) }

        let scanner = TLSEndpointScanner(options: TLSScanOptions(
            serverName: "localhost", concurrency: 2, trustRoots: [ca.certificate], useSystemRoots: false))
        let report = try await scanner.scan(targets)
        #expect(report.endpoints.map(\.target) == targets)
        #expect(report.handshakes == 6)
        // One key served at six places is one item with six locations.
        #expect(report.items.count == 1)
        #expect(report.items.first?.locations.count == 6)
    }

    // MARK: Targets and names

    @Test func targetsParseAndRangesAreBounded() throws {
        #expect(try TLSTargetParser.parse("example.com:443") == [TLSTarget(host: "example.com", port: 443)])
        #expect(try TLSTargetParser.parse("[::1]:8443") == [TLSTarget(host: "::1", port: 8443)])
        #expect(TLSTarget(host: "::1", port: 8443).description == "[::1]:8443")
        let range = try TLSTargetParser.parse("10.1.2.77/30:443")
        #expect(range.map(\.host) == ["10.1.2.76", "10.1.2.77", "10.1.2.78", "10.1.2.79"])
        #expect(try TLSTargetParser.parse("10.0.0.0/16:443").count == 65_536)
        #expect(try TLSTargetParser.parse("[fd00::ff00/120]:443").last?.host == "fd00::ffff")
        #expect(throws: TLSTargetError.self) { try TLSTargetParser.parse("10.0.0.0/15:443") }
        #expect(throws: TLSTargetError.self) { try TLSTargetParser.parse("example.com") }
        #expect(throws: TLSTargetError.self) { try TLSTargetParser.parse("example.com:0") }
        #expect(throws: TLSTargetError.self) { try TLSTargetParser.parse("::1:443") }
        #expect(throws: TLSTargetError.self) { try TLSTargetParser.parse("example.com/24:443") }
        #expect(throws: TLSTargetError.self) { try TLSTargetParser.parse(["10.0.0.0/16:443", "10.1.0.0/31:443"]) }
    }

    @Test func hostnameMatchingFollowsRFC6125() {
        let sans: [SubjectAlternativeName] = [.dns("*.example.com"), .dns("Exact.Test"), .ip([10, 0, 0, 1])]
        #expect(HostnameMatcher.matches("www.example.com", sans: sans))
        #expect(HostnameMatcher.matches("WWW.EXAMPLE.COM.", sans: sans))
        #expect(HostnameMatcher.matches("exact.test", sans: sans))
        #expect(HostnameMatcher.matches("10.0.0.1", sans: sans))
        #expect(!HostnameMatcher.matches("example.com", sans: sans))
        #expect(!HostnameMatcher.matches("a.b.example.com", sans: sans))
        #expect(!HostnameMatcher.matches("10.0.0.2", sans: sans))
        #expect(!HostnameMatcher.matches("www.example.com", sans: []))
        #expect(!HostnameMatcher.matches("x.com", sans: [.dns("*.com")]))
    }
}
