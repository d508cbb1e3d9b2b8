import Crypto
import _CryptoExtras
import Foundation
import SignetCore
import SwiftASN1
import X509

/// A trust domain's signing CA: the intermediate key that signs SVIDs and the
/// chain up to the trust anchors published in the bundle.
///
/// Immutable once built; rotation builds a new value and swaps it in, so an
/// issuance in flight always uses one consistent key and chain.
public struct CertificateAuthority: Sendable {
    public let trustDomain: TrustDomain
    /// Trust anchors published in the bundle (the self-signed root, or the upstream root).
    public let roots: [Certificate]
    /// The certificate whose key signs SVIDs.
    public let signingCertificate: Certificate
    /// Certificates sent after the leaf: the signing CA and any upstream intermediates (never the root).
    public let intermediates: [Certificate]
    let signingKey: Certificate.PrivateKey
    let signingKeyIdentifier: ArraySlice<UInt8>
    /// PEM of `intermediates`, cached because every issuance returns it.
    public let intermediatesPEM: String
    public let intermediatesDER: [[UInt8]]

    public init(
        trustDomain: TrustDomain, roots: [Certificate], signingCertificate: Certificate,
        signingKey: Certificate.PrivateKey, upstreamIntermediates: [Certificate] = []
    ) throws {
        guard signingKey.publicKey == signingCertificate.publicKey else {
            throw PKIError.invalidInput("the CA key does not match the CA certificate")
        }
        self.trustDomain = trustDomain
        self.roots = roots
        self.signingCertificate = signingCertificate
        self.signingKey = signingKey
        self.intermediates = [signingCertificate] + upstreamIntermediates
        if let ski = try? signingCertificate.extensions.subjectKeyIdentifier {
            self.signingKeyIdentifier = ski.keyIdentifier
        } else {
            self.signingKeyIdentifier = SubjectKeyIdentifier(hash: signingCertificate.publicKey).keyIdentifier
        }
        self.intermediatesPEM = try PEM.encode(intermediates)
        self.intermediatesDER = try intermediates.map { cert in
            var serializer = DER.Serializer()
            try serializer.serialize(cert)
            return serializer.serializedBytes
        }
    }

    /// Issues an X.509-SVID exactly as the SPIFFE X509-SVID standard requires: one URI SAN,
    /// cA=false, critical keyUsage digitalSignature (+keyEncipherment for RSA), EKU
    /// serverAuth+clientAuth, random 128-bit serial, SKI/AKI, notBefore backdated 30 s.
    public func issueX509SVID(_ request: X509SVIDRequest) throws -> IssuedX509SVID {
        guard request.spiffeID.trustDomain == trustDomain else {
            throw PKIError.invalidInput("\(request.spiffeID) is not in trust domain \(trustDomain)")
        }
        guard !request.spiffeID.path.isEmpty else {
            throw PKIError.invalidInput("an X509-SVID needs a SPIFFE ID with a path")
        }
        let notBefore = request.now.addingTimeInterval(-30)
        var notAfter = request.now.addingTimeInterval(TimeInterval(request.ttl))
        if notAfter > signingCertificate.notValidAfter { notAfter = signingCertificate.notValidAfter }
        let serial = Self.randomSerial()
        var names: [GeneralName] = [.uniformResourceIdentifier(request.spiffeID.description)]
        names += request.dnsNames.map { .dnsName($0) }
        names += request.ipAddresses.map { .ipAddress(ASN1OctetString(contentBytes: $0[...])) }
        let isRSA: Bool
        if case .none = P256.Signing.PublicKey(request.publicKey), case .none = P384.Signing.PublicKey(request.publicKey) {
            isRSA = _RSA.Signing.PublicKey(request.publicKey) != nil
        } else {
            isRSA = false
        }
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            Critical(KeyUsage(digitalSignature: true, keyEncipherment: isRSA))
            try ExtendedKeyUsage([.serverAuth, .clientAuth])
            SubjectKeyIdentifier(hash: request.publicKey)
            AuthorityKeyIdentifier(keyIdentifier: signingKeyIdentifier)
            // Empty subject: the SAN carries the identity and must then be critical (RFC 5280 4.2.1.6).
            Critical(SubjectAlternativeNames(names))
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: serial, publicKey: request.publicKey, notValidBefore: notBefore,
            notValidAfter: notAfter, issuer: signingCertificate.subject, subject: DistinguishedName(),
            extensions: extensions,
            issuerPrivateKey: signingKey)
        return try IssuedX509SVID(certificate: certificate, authority: self)
    }

    /// 16 random bytes with the top bit clear: positive, and at least 64 bits of entropy as CA/B and SPIFFE expect.
    static func randomSerial() -> Certificate.SerialNumber {
        var bytes = [UInt8](repeating: 0, count: 16)
        var rng = SystemRandomNumberGenerator()
        for i in bytes.indices { bytes[i] = rng.next() }
        bytes[0] = (bytes[0] & 0x7F) | 0x01
        return Certificate.SerialNumber(bytes: bytes)
    }
}

/// What to put in an X.509-SVID. The caller has already checked authorisation and governance.
public struct X509SVIDRequest: Sendable {
    public var spiffeID: SPIFFEID
    public var publicKey: Certificate.PublicKey
    public var dnsNames: [String]
    /// Raw 4- or 16-byte addresses.
    public var ipAddresses: [[UInt8]]
    public var ttl: Int
    public var now: Date

    public init(
        spiffeID: SPIFFEID, publicKey: Certificate.PublicKey, dnsNames: [String] = [], ipAddresses: [[UInt8]] = [],
        ttl: Int, now: Date = Date()
    ) {
        self.spiffeID = spiffeID
        self.publicKey = publicKey
        self.dnsNames = dnsNames
        self.ipAddresses = ipAddresses
        self.ttl = ttl
        self.now = now
    }
}

/// An issued X.509-SVID with the chain and facts the caller records.
public struct IssuedX509SVID: Sendable {
    public let certificate: Certificate
    public let leafDER: [UInt8]
    /// Leaf first, then intermediates (PEM).
    public let chainPEM: String
    /// Leaf first, then intermediates (DER each).
    public let chainDER: [[UInt8]]
    public let serialHex: String
    public let publicKeyFingerprint: String

    init(certificate: Certificate, authority: CertificateAuthority) throws {
        self.certificate = certificate
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        leafDER = serializer.serializedBytes
        chainPEM = PEMDocument(type: "CERTIFICATE", derBytes: leafDER).pemString + "\n" + authority.intermediatesPEM
        chainDER = [leafDER] + authority.intermediatesDER
        serialHex = Fingerprint.hex(certificate.serialNumber.bytes)
        publicKeyFingerprint = Fingerprint.publicKey(certificate.publicKey)
    }
}
