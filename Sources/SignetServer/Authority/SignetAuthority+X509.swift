import Foundation
import SignetCore
import SignetPKI
import SignetStore
import X509

/// X.509-SVID issuance for callers of the admin API.
extension SignetAuthority {
    /// Issues an X.509-SVID for `spiffeID` to `publicKey`, under the entry that authorises the ID.
    /// The credential record and its event are committed before the certificate is returned.
    public func issueX509SVID(
        spiffeID: SPIFFEID, publicKey: Certificate.PublicKey, requestedTTL: Int?, actor: String, entryID: String? = nil
    ) async throws -> (IssuedX509SVID, RegistrationEntry) {
        let entry = try await authorisingEntry(for: spiffeID, entryID: entryID, actor: actor, action: "svid.x509.issue")
        let ttl = min(requestedTTL ?? entry.x509TTL, entry.x509TTL, configuration.x509MaxTTL)
        guard ttl > 0 else { throw APIError.badRequest("ttl must be positive") }
        let svid = try ca.issueX509SVID(
            X509SVIDRequest(spiffeID: spiffeID, publicKey: publicKey, dnsNames: entry.dnsNames, ttl: ttl))
        try await recordX509(svid, spiffeID: spiffeID, entryID: entry.id, actor: actor)
        return (svid, entry)
    }

    /// Records an issued certificate durably, with its event, before anyone sees it.
    func recordX509(_ svid: IssuedX509SVID, spiffeID: SPIFFEID, entryID: String?, actor: String) async throws {
        let record = CredentialRecord(
            serial: svid.serialHex, kind: .x509SVID, spiffeID: spiffeID, entryID: entryID,
            publicKeyFingerprint: svid.publicKeyFingerprint, notBefore: svid.certificate.notValidBefore,
            notAfter: svid.certificate.notValidAfter, issuedTo: actor)
        let event = AuditEvent(
            actor: actor, action: "svid.x509.issue", subject: spiffeID.description, outcome: .success,
            details: ["serial": svid.serialHex, "not_after": String(Int64(record.notAfter.timeIntervalSince1970))])
        try await store.recordIssuance(record, event: event)
    }

    /// The entry that allows `spiffeID` to be issued: a named one, or the first unexpired entry for the ID.
    func authorisingEntry(for spiffeID: SPIFFEID, entryID: String?, actor: String, action: String) async throws
        -> RegistrationEntry
    {
        let now = Date()
        let candidates: [RegistrationEntry]
        // Served from the in-memory index (kept in step with every committed entry change); the
        // store is the fallback only before the index has been loaded.
        let indexed = entryIndex.isLoaded
        if let entryID {
            let found = indexed ? entryIndex.entry(id: entryID) : try await store.entry(id: entryID)
            guard let entry = found, entry.spiffeID == spiffeID else {
                throw await deny(actor, action, spiffeID, "entry \(entryID) does not exist or is not for \(spiffeID)")
            }
            candidates = [entry]
        } else {
            candidates = indexed ? entryIndex.entries(spiffeID: spiffeID) : try await store.entries(spiffeID: spiffeID)
        }
        guard !candidates.isEmpty else {
            throw await deny(
                actor, action, spiffeID,
                "no registration entry for \(spiffeID); create one first with `signet entry create --spiffe-id \(spiffeID) --owner TEAM --purpose TEXT`"
            )
        }
        guard let entry = candidates.first(where: { !$0.isExpired(at: now) }) else {
            throw await deny(actor, action, spiffeID, "every registration entry for \(spiffeID) has expired")
        }
        return entry
    }

    private func deny(_ actor: String, _ action: String, _ id: SPIFFEID, _ reason: String) async -> APIError {
        try? await store.appendEvent(
            AuditEvent(actor: actor, action: action, subject: id.description, outcome: .denied, reason: reason))
        return APIError(.forbidden, "no_entry", reason)
    }
}
