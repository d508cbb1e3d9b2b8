import Foundation
import SignetCore
import SignetPKI
import X509

/// Signet's own X.509-SVIDs: the server's TLS certificate and the bootstrap admin
/// credential the CLI uses. Both are recorded and audited like any other issuance.
extension SignetAuthority {
    struct IssuedFiles {
        let chainPEM: String
        let keyPEM: String
        let notBefore: Date
        let notAfter: Date
    }

    /// Issues the server certificate and writes it to `<data>/tls/` (0600 key).
    func issueServerCertificate() async throws -> IssuedFiles {
        let ips = configuration.tlsIPAddresses.compactMap(IPAddress.parse)
        return try await issueSystemSVID(
            id: serverID, dnsNames: configuration.tlsDNSNames, ipAddresses: ips,
            ttl: configuration.serverCertificateTTL, directory: configuration.tlsDirectory, baseName: "server")
    }

    /// Issues the bootstrap admin credential into `<data>/admin/` unless a valid one with
    /// more than half its life left is already there.
    func ensureBootstrapAdmin(now: Date = Date()) async throws -> Date {
        let certPath = configuration.adminDirectory + "/admin.pem"
        if SecureFile.exists(certPath), SecureFile.exists(configuration.adminDirectory + "/admin.key"),
            let chain = try? PEM.certificates(from: SecureFile.read(certPath)), let leaf = chain.first,
            chain.count > 1, chain[1] == ca.signingCertificate
        {
            let renewAt = leaf.notValidBefore.addingTimeInterval(leaf.notValidAfter.timeIntervalSince(leaf.notValidBefore) / 2)
            if renewAt > now { return renewAt }
        }
        let issued = try await issueSystemSVID(
            id: bootstrapAdminID, dnsNames: [], ipAddresses: [], ttl: configuration.bootstrapAdminTTL,
            directory: configuration.adminDirectory, baseName: "admin")
        return issued.notBefore.addingTimeInterval(issued.notAfter.timeIntervalSince(issued.notBefore) / 2)
    }

    private func issueSystemSVID(
        id: SPIFFEID, dnsNames: [String], ipAddresses: [[UInt8]], ttl: Int, directory: String, baseName: String
    ) async throws -> IssuedFiles {
        let key = try KeyType.p256.generate()
        let authority = ca
        let svid = try authority.issueX509SVID(
            X509SVIDRequest(spiffeID: id, publicKey: key.publicKey, dnsNames: dnsNames, ipAddresses: ipAddresses, ttl: ttl))
        try await recordX509(svid, spiffeID: id, entryID: nil, actor: "system")
        let keyPEM = try PEM.encode(key)
        try SecureFile.makeDirectory(directory)
        try SecureFile.write(keyPEM, to: "\(directory)/\(baseName).key")
        try SecureFile.write(svid.chainPEM, to: "\(directory)/\(baseName).pem", mode: 0o644)
        try SecureFile.write(bundle.pem, to: "\(directory)/bundle.pem", mode: 0o644)
        return IssuedFiles(
            chainPEM: svid.chainPEM, keyPEM: keyPEM, notBefore: svid.certificate.notValidBefore,
            notAfter: svid.certificate.notValidAfter)
    }
}
