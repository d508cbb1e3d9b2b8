import Foundation
import Hummingbird
import SignetCore
import SignetPKI
import SignetStore
import X509

/// The life of a node agent on the server: attestation completes with an agent
/// X.509-SVID and a saved record; the agent renews that SVID until an admin evicts it.
extension SignetAuthority {
    /// Fills the agent registry and the entry index from the store. Called once at
    /// start, before the listener accepts requests.
    func loadAgentState() async throws {
        var entries: [RegistrationEntry] = []
        var after: String?
        while true {
            let page = try await store.listEntries(EntryQuery(limit: 10_000, after: after))
            entries += page
            guard page.count == 10_000, let last = page.last else { break }
            after = last.id
        }
        entryIndex.load(entries)
        agentRegistry.load(try await store.listAgents())
    }

    /// `spiffe://TD/signet/agent/<type>/<name>`, the IDs attestation hands out by default.
    func agentID(type: String, name: String) throws -> SPIFFEID {
        try SPIFFEID(trustDomain: trustDomain, path: "/signet/agent/\(type)/\(name)")
    }

    /// Issues the agent's SVID, records it, and saves the agent as attested (not evicted).
    /// Re-attesting an ID replaces its record, which also lifts an eviction.
    func completeAttestation(
        agentID: SPIFFEID, attestationType: String, selectors: [Selector], publicKey: Certificate.PublicKey,
        details: [String: String]
    ) async throws -> IssuedX509SVID {
        try await agentRegistry.serialized(agentID) {
            // The SVID's issue time is the attestation time: the agent API refuses SVIDs older than it.
            let now = Date()
            let svid = try await issueAgentSVID(agentID, publicKey: publicKey, now: now)
            let record = AgentRecord(
                id: agentID, attestationType: attestationType, selectors: selectors, serial: svid.serialHex,
                svidExpiresAt: svid.certificate.notValidAfter, attestedAt: now, lastSeenAt: now)
            var eventDetails = details
            eventDetails["attestation_type"] = attestationType
            eventDetails["serial"] = svid.serialHex
            eventDetails["selectors"] = record.selectors.map(\.description).joined(separator: " ")
            try await store.saveAgent(
                record,
                event: AuditEvent(
                    actor: agentID.description, action: "agent.attest", subject: agentID.description,
                    outcome: .success, details: eventDetails))
            agentRegistry.put(record)
            return svid
        }
    }

    /// Issues a new SVID for a known, non-evicted agent and updates its record.
    func renewAgent(_ agentID: SPIFFEID, csrPEM: String) async throws -> IssuedX509SVID {
        let publicKey: Certificate.PublicKey
        do {
            publicKey = try CSRValidator.publicKey(fromPEM: csrPEM)
        } catch {
            await recordAgentEvent(agentID.description, "agent.renew", agentID.description, .denied, error.description)
            throw APIError(.badRequest, "bad_csr", error.description)
        }
        return try await agentRegistry.serialized(agentID) {
            guard var record = agentRegistry.agent(agentID), !record.evicted else {
                let reason = "agent \(agentID) is evicted; it must attest again"
                await recordAgentEvent(agentID.description, "agent.renew", agentID.description, .denied, reason)
                throw APIError.forbidden(reason)
            }
            let svid = try await issueAgentSVID(agentID, publicKey: publicKey, now: Date())
            record.serial = svid.serialHex
            record.svidExpiresAt = svid.certificate.notValidAfter
            record.lastSeenAt = Date()
            try await store.saveAgent(
                record,
                event: AuditEvent(
                    actor: agentID.description, action: "agent.renew", subject: agentID.description,
                    outcome: .success, details: ["serial": svid.serialHex]))
            agentRegistry.put(record)
            return svid
        }
    }

    /// Marks the agent evicted: from now on its renewals, syncs and SVID requests are
    /// refused, and syncs it holds open end with 403.
    func evictAgent(_ agentID: SPIFFEID, actor: String) async throws -> AgentRecord {
        let record = try await agentRegistry.serialized(agentID) { () async throws -> AgentRecord in
            guard var record = agentRegistry.agent(agentID) else {
                throw APIError.notFound("no agent \(agentID); list agents with `signet agent list`")
            }
            record.evicted = true
            try await store.saveAgent(
                record,
                event: AuditEvent(
                    actor: actor, action: "agent.evict", subject: agentID.description, outcome: .success,
                    details: ["attestation_type": record.attestationType]))
            agentRegistry.put(record)
            return record
        }
        entryIndex.evicted(agent: agentID)
        return record
    }

    /// An agent SVID: the agent's ID only, no DNS names, `configuration.agentSVIDTTL`
    /// (system identities are not bound by the workload maximum). Recorded before it is returned.
    private func issueAgentSVID(_ agentID: SPIFFEID, publicKey: Certificate.PublicKey, now: Date) async throws
        -> IssuedX509SVID
    {
        let svid = try ca.issueX509SVID(
            X509SVIDRequest(spiffeID: agentID, publicKey: publicKey, ttl: configuration.agentSVIDTTL, now: now))
        try await recordX509(svid, spiffeID: agentID, entryID: nil, actor: agentID.description)
        return svid
    }

    /// Records a refused attestation and returns the error to throw.
    func refuseAttestation(
        type: String, subject: String, reason: String, status: HTTPResponse.Status = .unauthorized,
        code: String = "attestation_failed"
    ) async -> APIError {
        await recordAgentEvent(
            "anonymous", "agent.attest", subject, .denied, reason, details: ["attestation_type": type])
        return APIError(status, code, reason)
    }

    /// Appends an event that changes nothing; a failure to record is logged, not thrown,
    /// so the caller still gets the answer it was owed.
    func recordAgentEvent(
        _ actor: String, _ action: String, _ subject: String, _ outcome: AuditEvent.Outcome, _ reason: String?,
        details: [String: String] = [:]
    ) async {
        do {
            try await store.appendEvent(
                AuditEvent(
                    actor: actor, action: action, subject: subject, outcome: outcome, reason: reason, details: details))
        } catch {
            logger.error("cannot record event", metadata: ["action": "\(action)", "error": "\(error)"])
        }
    }
}
