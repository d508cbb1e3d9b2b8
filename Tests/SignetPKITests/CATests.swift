import Crypto
import _CryptoExtras
import Foundation
import SwiftASN1
import Testing
import X509
@testable import SignetCore
@testable import SignetPKI

func temporaryDirectory() -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("signet-test-\(UUID().uuidString)").path
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

struct CATests {
    let td = try! TrustDomain("example.org")

    @Test(arguments: [KeyType.p256, .p384, .rsa3072])
    func bootstrapCreatesRootAndConstrainedIntermediate(_ keyType: KeyType) throws {
        let dir = temporaryDirectory()
        let ca = try CABootstrap.loadOrCreate(directory: dir, settings: CASettings(trustDomain: td, keyType: keyType))
        #expect(ca.roots.count == 1)
        let root = ca.roots[0]
        #expect(root.subject == root.issuer)
        let nc = try #require(try ca.signingCertificate.extensions.nameConstraints)
        #expect(Array(nc.permittedURIDomains) == ["example.org"])
        #expect(try ca.signingCertificate.extensions.basicConstraints == .isCertificateAuthority(maxPathLength: 0))
        let ku = try #require(try ca.signingCertificate.extensions.keyUsage)
        #expect(ku.keyCertSign && ku.cRLSign)
        for file in ["root.key", "intermediate.key"] {
            #expect(SecureFile.mode(of: "\(dir)/\(file)") == 0o600, "\(file)")
        }
        // A second start loads the same material.
        let again = try CABootstrap.loadOrCreate(directory: dir, settings: CASettings(trustDomain: td, keyType: keyType))
        #expect(again.roots == ca.roots)
        #expect(again.signingCertificate == ca.signingCertificate)
    }

    @Test func refusesAnotherTrustDomainsDirectory() throws {
        let dir = temporaryDirectory()
        _ = try CABootstrap.loadOrCreate(directory: dir, settings: CASettings(trustDomain: td))
        #expect(throws: PKIError.self) {
            try CABootstrap.loadOrCreate(directory: dir, settings: CASettings(trustDomain: try TrustDomain("other.org")))
        }
    }

    @Test func intermediateIsReissuedNearExpiryWithTheSameRoot() throws {
        let dir = temporaryDirectory()
        let settings = CASettings(trustDomain: td, intermediateLifetime: 3000)
        let first = try CABootstrap.loadOrCreate(directory: dir, settings: settings)
        let later = try CABootstrap.loadOrCreate(directory: dir, settings: settings, now: Date().addingTimeInterval(2500))
        #expect(later.roots == first.roots)
        #expect(later.signingCertificate != first.signingCertificate)
    }

    @Test func upstreamCASignsTheIntermediate() async throws {
        let upstreamDir = temporaryDirectory()
        // An "enterprise" root made independently of Signet's bootstrap.
        let upstreamKey = P384.Signing.PrivateKey()
        let name = try DistinguishedName { CommonName("Enterprise Root") }
        let upstreamCert = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(upstreamKey.publicKey),
            notValidBefore: Date().addingTimeInterval(-60), notValidAfter: Date().addingTimeInterval(86400 * 3650),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA384,
            extensions: try .init {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: .init(upstreamKey.publicKey))
            }, issuerPrivateKey: .init(upstreamKey))
        try SecureFile.write(PEM.encode([upstreamCert]), to: upstreamDir + "/up.pem")
        try SecureFile.write(upstreamKey.pemRepresentation, to: upstreamDir + "/up.key")
        let ca = try CABootstrap.loadOrCreate(
            directory: temporaryDirectory(),
            settings: CASettings(
                trustDomain: td, upstream: UpstreamCA(certificatePath: upstreamDir + "/up.pem", keyPath: upstreamDir + "/up.key")))
        #expect(ca.roots == [upstreamCert])
        #expect(ca.signingCertificate.issuer == upstreamCert.subject)
        let leafKey = P256.Signing.PrivateKey()
        let svid = try ca.issueX509SVID(
            X509SVIDRequest(spiffeID: try SPIFFEID("spiffe://example.org/w"), publicKey: .init(leafKey.publicKey), ttl: 600))
        #expect(try await validate(svid, roots: ca.roots))

        // A key that does not match the upstream certificate is refused.
        try SecureFile.write(P384.Signing.PrivateKey().pemRepresentation, to: upstreamDir + "/wrong.key")
        #expect(throws: PKIError.self) {
            try CABootstrap.loadOrCreate(
                directory: temporaryDirectory(),
                settings: CASettings(
                    trustDomain: td, upstream: UpstreamCA(certificatePath: upstreamDir + "/up.pem", keyPath: upstreamDir + "/wrong.key")))
        }
    }
}

/// Validates an issued SVID chain with swift-certificates' RFC 5280 policy (which enforces URI name constraints).
func validate(_ svid: IssuedX509SVID, roots: [Certificate]) async throws -> Bool {
    let intermediates = try svid.chainDER.dropFirst().map { try Certificate(derEncoded: $0) }
    let td = try #require(try? SPIFFEVerifierPolicy.spiffeID(of: svid.certificate).get().trustDomain)
    var verifier = Verifier(rootCertificates: CertificateStore(roots)) {
        RFC5280Policy(validationTime: Date())
        SPIFFEVerifierPolicy(trustDomain: td)
    }
    let result = await verifier.validate(leaf: svid.certificate, intermediates: CertificateStore(intermediates))
    if case .validCertificate = result { return true }
    return false
}
