import NIOCore
import NIOSSL
import SignetCore
import Synchronization
import X509

/// The SPIFFE ID of the TLS client, from the certificate the handshake validated
/// against this trust domain's roots. Anything the client says in headers or
/// bodies is never used for identity.
///
/// A connection's peer certificate cannot change after the handshake, so the parsed
/// identity is cached per connection (dropped when it closes) instead of being
/// re-parsed on every request of a keep-alive connection.
enum PeerIdentity {
    private static let cache = Mutex<[ObjectIdentifier: SPIFFEID?]>([:])

    static func spiffeID(of channel: any Channel) async throws -> SPIFFEID? {
        let key = ObjectIdentifier(channel)
        if let cached = cache.withLock({ $0[key] }) { return cached }
        let identity: SPIFFEID?
        if let certificate = try await channel.nioSSL_peerCertificate().get() {
            identity = spiffeID(in: try Certificate(derEncoded: try certificate.toDERBytes()))
        } else {
            identity = nil
        }
        let inserted = cache.withLock { map -> Bool in
            guard map[key] == nil else { return false }
            map[key] = .some(identity)
            return true
        }
        if inserted {
            channel.closeFuture.whenComplete { _ in _ = cache.withLock { $0.removeValue(forKey: key) } }
        }
        return identity
    }

    /// The single `spiffe://` URI SAN of a certificate, or nil when it has none or several.
    static func spiffeID(in certificate: Certificate) -> SPIFFEID? {
        guard let names = try? certificate.extensions.subjectAlternativeNames else { return nil }
        var found: SPIFFEID?
        for name in names {
            if case .uniformResourceIdentifier(let uri) = name, uri.hasPrefix("spiffe://") {
                if found != nil { return nil }
                found = try? SPIFFEID(uri)
            }
        }
        return found
    }
}
