import Foundation
import SignetCore
import SwiftASN1
import X509

/// How the trust domain's CA is set up on first start.
public struct CASettings: Sendable {
    public var trustDomain: TrustDomain
    public var keyType: KeyType
    public var organization: String
    public var rootLifetime: TimeInterval
    public var intermediateLifetime: TimeInterval
    /// An existing enterprise CA that signs Signet's intermediate instead of a self-signed root.
    public var upstream: UpstreamCA?
    /// Constrain the intermediate to URIs of the trust domain (X509-SVID §4.2). Some verifiers
    /// (pyca/cryptography) cannot process URI name constraints and refuse such chains.
    public var nameConstraints: Bool

    public init(
        trustDomain: TrustDomain, keyType: KeyType = .p256, organization: String = "Signet",
        rootLifetime: TimeInterval = 10 * 365 * 86400, intermediateLifetime: TimeInterval = 365 * 86400,
        upstream: UpstreamCA? = nil, nameConstraints: Bool = true
    ) {
        self.trustDomain = trustDomain
        self.keyType = keyType
        self.organization = organization
        self.rootLifetime = rootLifetime
        self.intermediateLifetime = intermediateLifetime
        self.upstream = upstream
        self.nameConstraints = nameConstraints
    }
}

/// An upstream CA given by file paths in the configuration.
public struct UpstreamCA: Sendable {
    /// PEM: the upstream signing certificate, optionally followed by its own intermediates.
    public var certificatePath: String
    public var keyPath: String
    /// PEM trust anchors to publish; defaults to the last certificate of `certificatePath`.
    public var bundlePath: String?

    public init(certificatePath: String, keyPath: String, bundlePath: String? = nil) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        self.bundlePath = bundlePath
    }
}

/// Creates the CA on first start and loads it afterwards. Keys are written 0600.
///
/// Layout under `directory`: `root.pem`/`root.key` (self-signed mode only),
/// `intermediate.pem`/`intermediate.key`. The intermediate is re-issued when
/// less than a third of its lifetime remains, keeping the same trust anchors.
public enum CABootstrap {
    public static func loadOrCreate(directory: String, settings: CASettings, now: Date = Date()) throws
        -> CertificateAuthority
    {
        try SecureFile.makeDirectory(directory)
        let (roots, rootKey, upstreamChain) = try loadOrCreateRoot(directory: directory, settings: settings, now: now)
        let parent = upstreamChain.first ?? roots[0]
        let certPath = directory + "/intermediate.pem"
        let keyPath = directory + "/intermediate.key"
        if SecureFile.exists(certPath), SecureFile.exists(keyPath) {
            let cert = try PEM.certificates(from: SecureFile.read(certPath))[0]
            let key = try PEM.privateKey(from: SecureFile.read(keyPath))
            try checkTrustDomain(cert, settings.trustDomain, path: certPath)
            let remaining = cert.notValidAfter.timeIntervalSince(now)
            let lifetime = cert.notValidAfter.timeIntervalSince(cert.notValidBefore)
            if remaining > lifetime / 3 {
                return try CertificateAuthority(
                    trustDomain: settings.trustDomain, roots: roots, signingCertificate: cert, signingKey: key,
                    upstreamIntermediates: upstreamChain)
            }
        }
        let key = try settings.keyType.generate()
        var notAfter = now.addingTimeInterval(settings.intermediateLifetime)
        if notAfter > parent.notValidAfter { notAfter = parent.notValidAfter }
        let cert = try makeCA(
            subject: try DistinguishedName {
                OrganizationName(settings.organization)
                CommonName("Signet intermediate CA \(settings.trustDomain.name)")
            },
            publicKey: key.publicKey, trustDomain: settings.trustDomain, pathLength: 0,
            nameConstrained: settings.nameConstraints,
            issuer: parent.subject, issuerKey: rootKey, issuerPublicKey: parent.publicKey,
            notBefore: now.addingTimeInterval(-60), notAfter: notAfter)
        try SecureFile.write(PEM.encode(key), to: keyPath)
        try SecureFile.write(PEM.encode([cert]), to: certPath, mode: 0o644)
        return try CertificateAuthority(
            trustDomain: settings.trustDomain, roots: roots, signingCertificate: cert, signingKey: key,
            upstreamIntermediates: upstreamChain)
    }

    private static func loadOrCreateRoot(directory: String, settings: CASettings, now: Date) throws
        -> (roots: [Certificate], key: Certificate.PrivateKey, upstreamChain: [Certificate])
    {
        if let upstream = settings.upstream {
            let chain = try PEM.certificates(from: SecureFile.read(upstream.certificatePath))
            let key = try PEM.privateKey(from: SecureFile.read(upstream.keyPath))
            guard key.publicKey == chain[0].publicKey else {
                throw PKIError.invalidInput(
                    "upstream key \(upstream.keyPath) does not match certificate \(upstream.certificatePath)")
            }
            guard let bc = try? chain[0].extensions.basicConstraints, case .isCertificateAuthority = bc else {
                throw PKIError.invalidInput("upstream certificate \(upstream.certificatePath) is not a CA (basicConstraints cA=true)")
            }
            let roots: [Certificate]
            if let bundlePath = upstream.bundlePath {
                roots = try PEM.certificates(from: SecureFile.read(bundlePath))
            } else {
                roots = [chain[chain.count - 1]]
            }
            // Send every upstream certificate that is not itself a trust anchor after the leaf.
            let sent = chain.filter { cert in !roots.contains(cert) }
            return (roots, key, sent)
        }
        let certPath = directory + "/root.pem"
        let keyPath = directory + "/root.key"
        if SecureFile.exists(certPath), SecureFile.exists(keyPath) {
            let cert = try PEM.certificates(from: SecureFile.read(certPath))[0]
            try checkTrustDomain(cert, settings.trustDomain, path: certPath)
            return ([cert], try PEM.privateKey(from: SecureFile.read(keyPath)), [])
        }
        let key = try settings.keyType.generate()
        let subject = try DistinguishedName {
            OrganizationName(settings.organization)
            CommonName("Signet root CA \(settings.trustDomain.name)")
        }
        let cert = try makeCA(
            subject: subject, publicKey: key.publicKey, trustDomain: settings.trustDomain, pathLength: 1,
            nameConstrained: false, issuer: subject, issuerKey: key, issuerPublicKey: key.publicKey,
            notBefore: now.addingTimeInterval(-60), notAfter: now.addingTimeInterval(settings.rootLifetime))
        try SecureFile.write(PEM.encode(key), to: keyPath)
        try SecureFile.write(PEM.encode([cert]), to: certPath, mode: 0o644)
        return ([cert], key, [])
    }

    /// A CA certificate whose URI SAN is the trust domain's ID (no path, as the X509-SVID standard asks of
    /// signing certificates); the intermediate is name-constrained to URIs of the trust domain.
    static func makeCA(
        subject: DistinguishedName, publicKey: Certificate.PublicKey, trustDomain: TrustDomain, pathLength: Int,
        nameConstrained: Bool, issuer: DistinguishedName, issuerKey: Certificate.PrivateKey,
        issuerPublicKey: Certificate.PublicKey, notBefore: Date, notAfter: Date
    ) throws -> Certificate {
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.isCertificateAuthority(maxPathLength: pathLength))
            Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
            SubjectKeyIdentifier(hash: publicKey)
            AuthorityKeyIdentifier(keyIdentifier: SubjectKeyIdentifier(hash: issuerPublicKey).keyIdentifier)
            SubjectAlternativeNames([.uniformResourceIdentifier(trustDomain.idString)])
            if nameConstrained {
                Critical(NameConstraints(permittedURIDomains: [trustDomain.name]))
            }
        }
        return try Certificate(
            version: .v3, serialNumber: CertificateAuthority.randomSerial(), publicKey: publicKey,
            notValidBefore: notBefore, notValidAfter: notAfter, issuer: issuer, subject: subject,
            extensions: extensions,
            issuerPrivateKey: issuerKey)
    }

    private static func checkTrustDomain(_ cert: Certificate, _ trustDomain: TrustDomain, path: String) throws {
        guard let san = try? cert.extensions.subjectAlternativeNames else { return }
        for name in san {
            if case .uniformResourceIdentifier(let uri) = name, uri.hasPrefix("spiffe://"), uri != trustDomain.idString {
                throw PKIError.invalidInput(
                    "\(path) belongs to trust domain \(uri.dropFirst(9)), not \(trustDomain): use that trust domain or a new data directory")
            }
        }
    }
}
