import Crypto
import _CryptoExtras
import Foundation
import SwiftASN1
import Testing
import X509
@testable import SignetCore
@testable import SignetPKI

struct X509SVIDTests {
    let ca: CertificateAuthority = try! CABootstrap.loadOrCreate(
        directory: temporaryDirectory(), settings: CASettings(trustDomain: try! TrustDomain("example.org")))

    func issue(_ id: String = "spiffe://example.org/prod/api", key: Certificate.PublicKey? = nil, dns: [String] = [],
               ttl: Int = 3600) throws -> IssuedX509SVID {
        try ca.issueX509SVID(
            X509SVIDRequest(
                spiffeID: try SPIFFEID(id), publicKey: key ?? .init(P256.Signing.PrivateKey().publicKey), dnsNames: dns,
                ttl: ttl))
    }

    @Test func profileMatchesTheX509SVIDStandard() throws {
        let svid = try issue(dns: ["api.example.org"])
        let cert = svid.certificate
        let ext = cert.extensions
        #expect(try ext.basicConstraints == .notCertificateAuthority)
        #expect(ext[oid: .X509ExtensionID.basicConstraints]?.critical == true)
        let ku = try #require(try ext.keyUsage)
        #expect(ku.digitalSignature && !ku.keyEncipherment && !ku.keyCertSign && !ku.cRLSign)
        #expect(ext[oid: .X509ExtensionID.keyUsage]?.critical == true)
        let eku = try #require(try ext.extendedKeyUsage)
        #expect(eku.contains(.serverAuth) && eku.contains(.clientAuth))
        let san = try #require(try ext.subjectAlternativeNames)
        let uris = san.compactMap { if case .uniformResourceIdentifier(let u) = $0 { u } else { nil } }
        #expect(uris == ["spiffe://example.org/prod/api"])
        #expect(san.contains(.dnsName("api.example.org")))
        #expect(cert.subject.isEmpty)
        #expect(ext[oid: .X509ExtensionID.subjectAlternativeName]?.critical == true)
        #expect(try ext.subjectKeyIdentifier != nil)
        #expect(try ext.authorityKeyIdentifier?.keyIdentifier == ext.authorityKeyIdentifier?.keyIdentifier)
        #expect(cert.serialNumber.bytes.count >= 9)  // >= 64 bits of entropy plus sign room
        let backdate = Date().timeIntervalSince(cert.notValidBefore)
        #expect(backdate > 0 && backdate <= 60)
        #expect(abs(cert.notValidAfter.timeIntervalSinceNow - 3600) < 5)
        #expect(svid.chainDER.count == 2)
    }

    @Test func rsaLeafGetsKeyEncipherment() throws {
        let rsa = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let svid = try issue(key: .init(rsa.publicKey))
        #expect(try svid.certificate.extensions.keyUsage?.keyEncipherment == true)
    }

    @Test func serialsAreUnique() throws {
        var serials = Set<String>()
        for _ in 0..<200 { serials.insert(try issue().serialHex) }
        #expect(serials.count == 200)
    }

    @Test func chainValidatesAndNameConstraintsHold() async throws {
        #expect(try await validate(try issue(), roots: ca.roots))
        // The issuer refuses other trust domains outright...
        #expect(throws: PKIError.self) { try issue("spiffe://evil.org/x") }
        // ...and even a certificate forged with the intermediate key for another domain fails validation.
        let forged = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(P256.Signing.PrivateKey().publicKey),
            notValidBefore: Date().addingTimeInterval(-10), notValidAfter: Date().addingTimeInterval(600),
            issuer: ca.signingCertificate.subject, subject: DistinguishedName(),
            extensions: try .init {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(SubjectAlternativeNames([.uniformResourceIdentifier("spiffe://evil.org/x")]))
            }, issuerPrivateKey: ca.signingKey)
        // Only RFC 5280 (name constraints) here: the SPIFFE policy would refuse the foreign domain by itself.
        var verifier = Verifier(rootCertificates: CertificateStore(ca.roots)) {
            RFC5280Policy(validationTime: Date())
            AcceptCriticalSAN()
        }
        let result = await verifier.validate(leaf: forged, intermediates: CertificateStore([ca.signingCertificate]))
        if case .validCertificate = result { Issue.record("name constraints did not reject spiffe://evil.org") }
        // The same verifier accepts a genuine SVID, so the rejection above is the name constraint's doing.
        let genuine = try issue()
        let ok = await verifier.validate(leaf: genuine.certificate, intermediates: CertificateStore([ca.signingCertificate]))
        guard case .validCertificate = ok else {
            Issue.record("control case failed: \(ok)")
            return
        }
    }

    @Test func ttlIsCappedByTheSigningCertificate() throws {
        let svid = try issue(ttl: 10 * 365 * 86400)
        #expect(svid.certificate.notValidAfter <= ca.signingCertificate.notValidAfter)
    }

    @Test func refusesIDWithoutPath() {
        #expect(throws: PKIError.self) { try issue("spiffe://example.org") }
    }
}

/// Claims the critical SAN so RFC5280Policy alone can be exercised.
struct AcceptCriticalSAN: VerifierPolicy {
    let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = [.X509ExtensionID.subjectAlternativeName]
    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) async -> PolicyEvaluationResult { .meetsPolicy }
}
