import Foundation
import Hummingbird
import SignetCore
import SignetPKI
import X509

/// `POST /v1/svids/x509`: an X.509-SVID for a CSR, or for a key the server generates
/// when no CSR is sent (the only response that ever carries a private key).
struct X509SVIDRoutes {
    let authority: SignetAuthority

    struct Input: Decodable {
        var spiffeID: String
        var csr: String?
        var ttl: FlexibleDuration?
        var keyType: String?
        var entryID: String?

        enum CodingKeys: String, CodingKey {
            case spiffeID = "spiffe_id"
            case csr, ttl
            case keyType = "key_type"
            case entryID = "entry_id"
        }
    }

    struct Output: Encodable {
        let spiffeID: String
        let entryID: String
        let serial: String
        let notBefore: Date
        let notAfter: Date
        /// Leaf first, then intermediates.
        let certificateChain: String
        let bundle: String
        let privateKey: String?

        enum CodingKeys: String, CodingKey {
            case spiffeID = "spiffe_id"
            case entryID = "entry_id"
            case serial
            case notBefore = "not_before"
            case notAfter = "not_after"
            case certificateChain = "certificate_chain"
            case bundle
            case privateKey = "private_key"
        }
    }

    func register(on group: RouterGroup<SignetRequestContext>) {
        group.post("svids/x509") { request, context in
            let input = try await request.decode(as: Input.self, context: context)
            let spiffeID = try SPIFFEID(input.spiffeID)
            let publicKey: Certificate.PublicKey
            var privateKeyPEM: String?
            if let csr = input.csr {
                do {
                    publicKey = try CSRValidator.publicKey(fromPEM: csr)
                } catch {
                    try? await authority.store.appendEvent(
                        AuditEvent(
                            actor: context.actor, action: "svid.x509.issue", subject: spiffeID.description,
                            outcome: .denied, reason: "\(error)"))
                    throw error
                }
            } else {
                let keyType = try input.keyType.map { try KeyType(parsing: $0) } ?? .p256
                let key = try keyType.generate()
                publicKey = key.publicKey
                privateKeyPEM = try PEM.encode(key)
            }
            let (svid, entry) = try await authority.issueX509SVID(
                spiffeID: spiffeID, publicKey: publicKey, requestedTTL: input.ttl?.seconds, actor: context.actor,
                entryID: input.entryID)
            let output = Output(
                spiffeID: spiffeID.description, entryID: entry.id, serial: svid.serialHex,
                notBefore: svid.certificate.notValidBefore, notAfter: svid.certificate.notValidAfter,
                certificateChain: svid.chainPEM, bundle: authority.bundle.pem, privateKey: privateKeyPEM)
            return try APIJSON.response(output, extraHeaders: [.cacheControl: "no-store"])
        }
    }
}
