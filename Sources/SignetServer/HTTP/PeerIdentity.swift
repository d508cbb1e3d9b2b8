import NIOCore
import NIOSSL
import SignetCore
import X509

/// The SPIFFE ID of the TLS client, from the certificate the handshake validated
/// against this trust domain's roots. Anything the client says in headers or
/// bodies is never used for identity.
enum PeerIdentity {
    static func spiffeID(of channel: any Channel) async throws -> SPIFFEID? {
        guard let certificate = try await channel.nioSSL_peerCertificate().get() else { return nil }
        let parsed = try Certificate(derEncoded: try certificate.toDERBytes())
        return spiffeID(in: parsed)
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
