import Foundation
import NIOCore
import NIOSSL
import SignetCore
import SignetPKI
import Synchronization
import X509

/// The server's own TLS certificate, an X.509-SVID for `spiffe://TD/signet/server`
/// with the configured DNS and IP SANs.
///
/// NIOSSL contexts are immutable, so the certificate is handed to each
/// handshake through `sslContextCallback`; renewal swaps the value here and the
/// next handshake presents the new certificate without a restart.
final class ServerTLSIdentity: Sendable {
    struct Current {
        var chain: [NIOSSLCertificate]
        var key: NIOSSLPrivateKey
        var notBefore: Date
        var notAfter: Date
    }

    private let current: Mutex<Current>

    init(chainPEM: String, keyPEM: String, notBefore: Date, notAfter: Date) throws {
        current = Mutex(try Self.load(chainPEM: chainPEM, keyPEM: keyPEM, notBefore: notBefore, notAfter: notAfter))
    }

    private static func load(chainPEM: String, keyPEM: String, notBefore: Date, notAfter: Date) throws -> Current {
        Current(
            chain: try NIOSSLCertificate.fromPEMBytes(Array(chainPEM.utf8)),
            key: try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem),
            notBefore: notBefore, notAfter: notAfter)
    }

    func replace(chainPEM: String, keyPEM: String, notBefore: Date, notAfter: Date) throws {
        let next = try Self.load(chainPEM: chainPEM, keyPEM: keyPEM, notBefore: notBefore, notAfter: notAfter)
        current.withLock { $0 = next }
    }

    /// When the certificate should be renewed: at half its lifetime.
    var renewAt: Date {
        current.withLock { c in c.notBefore.addingTimeInterval(c.notAfter.timeIntervalSince(c.notBefore) / 2) }
    }

    /// TLS for the one HTTPS listener: client certificates are requested and, when presented,
    /// must chain to this trust domain's roots; public routes still work without one.
    func tlsConfiguration(trustRoots: [Certificate]) throws -> TLSConfiguration {
        let snapshot = current.withLock { $0 }
        var config = TLSConfiguration.makeServerConfiguration(
            certificateChain: snapshot.chain.map { .certificate($0) }, privateKey: .privateKey(snapshot.key))
        config.minimumTLSVersion = .tlsv12
        config.certificateVerification = .optionalVerification
        config.trustRoots = .certificates(
            try trustRoots.map { try NIOSSLCertificate(bytes: PEM.encode([$0]).utf8.map { $0 }, format: .pem) })
        config.applicationProtocols = ["http/1.1"]
        config.sslContextCallback = { [weak self] _, promise in
            guard let self else {
                promise.succeed(.noChanges)
                return
            }
            let snapshot = self.current.withLock { $0 }
            var override = NIOSSLContextConfigurationOverride()
            override.certificateChain = snapshot.chain.map { .certificate($0) }
            override.privateKey = .privateKey(snapshot.key)
            promise.succeed(override)
        }
        return config
    }
}
