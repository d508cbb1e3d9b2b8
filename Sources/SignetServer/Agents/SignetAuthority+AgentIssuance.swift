import Foundation
import Hummingbird
import SignetCore
import SignetPKI
import SignetStore
import X509

/// Credentials an agent obtains for the workloads it serves, and the workload
/// events it reports. An agent may only ask for entries it may serve (the
/// rule of sync, answered from the entry index) that have not expired.
extension SignetAuthority {
    struct WorkloadSVIDRequest: Sendable {
        let entryID: String
        let csr: String
    }

    struct IssuedWorkloadSVID: Sendable {
        let entryID: String
        let spiffeID: SPIFFEID
        let svid: IssuedX509SVID
    }

    struct RefusedWorkloadSVID: Error, Sendable {
        let entryID: String
        let message: String
    }

    /// The entry if `agent` may serve it now; otherwise why not.
    func servableEntry(_ entryID: String, for agent: AgentRecord) -> Result<RegistrationEntry, RefusedWorkloadSVID> {
        guard let entry = entryIndex.servableEntry(id: entryID, agent: agent) else {
            return .failure(RefusedWorkloadSVID(entryID: entryID, message: "entry \(entryID) does not exist or is not one this agent may serve"))
        }
        guard !entry.isExpired(at: Date()) else {
            return .failure(RefusedWorkloadSVID(entryID: entryID, message: "entry \(entryID) has expired"))
        }
        return .success(entry)
    }

    /// Issues one X.509-SVID per request, concurrently, each recorded (group commit
    /// batches them) before the answer is returned. Failures are per request.
    func issueWorkloadSVIDs(for agent: AgentRecord, _ requests: [WorkloadSVIDRequest]) async
        -> ([IssuedWorkloadSVID], [RefusedWorkloadSVID])
    {
        let outcomes = await withTaskGroup(
            of: (Int, Result<IssuedWorkloadSVID, RefusedWorkloadSVID>).self,
            returning: [Result<IssuedWorkloadSVID, RefusedWorkloadSVID>?].self
        ) { group in
            for (index, request) in requests.enumerated() {
                group.addTask { (index, await self.issueWorkloadSVID(for: agent, request)) }
            }
            var outcomes = [Result<IssuedWorkloadSVID, RefusedWorkloadSVID>?](repeating: nil, count: requests.count)
            for await (index, outcome) in group { outcomes[index] = outcome }
            return outcomes
        }
        var issued: [IssuedWorkloadSVID] = []
        var refused: [RefusedWorkloadSVID] = []
        for outcome in outcomes {
            switch outcome {
            case .success(let svid)?: issued.append(svid)
            case .failure(let refusal)?: refused.append(refusal)
            case nil: break
            }
        }
        if !refused.isEmpty {
            // One event per batch, not per refusal: a confused agent must not flood the log.
            let ids = refused.prefix(20).map(\.entryID).joined(separator: " ")
            await recordAgentEvent(
                agent.id.description, "svid.x509.issue", agent.id.description, .denied,
                "\(refused.count) of \(requests.count) requested SVIDs refused; first: \(refused[0].message)",
                details: ["entry_ids": ids, "refused": String(refused.count)])
        }
        return (issued, refused)
    }

    private func issueWorkloadSVID(for agent: AgentRecord, _ request: WorkloadSVIDRequest) async
        -> Result<IssuedWorkloadSVID, RefusedWorkloadSVID>
    {
        let entry: RegistrationEntry
        switch servableEntry(request.entryID, for: agent) {
        case .success(let found): entry = found
        case .failure(let refusal): return .failure(refusal)
        }
        do {
            let publicKey = try CSRValidator.publicKey(fromPEM: request.csr)
            let ttl = min(entry.x509TTL, configuration.x509MaxTTL)
            let svid = try ca.issueX509SVID(
                X509SVIDRequest(spiffeID: entry.spiffeID, publicKey: publicKey, dnsNames: entry.dnsNames, ttl: ttl))
            try await recordX509(svid, spiffeID: entry.spiffeID, entryID: entry.id, actor: agent.id.description)
            return .success(IssuedWorkloadSVID(entryID: entry.id, spiffeID: entry.spiffeID, svid: svid))
        } catch let error as PKIError {
            return .failure(RefusedWorkloadSVID(entryID: request.entryID, message: error.description))
        } catch {
            logger.error("agent SVID issuance failed", metadata: ["entry": "\(entry.id)", "error": "\(error)"])
            return .failure(RefusedWorkloadSVID(entryID: request.entryID, message: "issuance failed; see the server log"))
        }
    }

    /// Mints a JWT-SVID for an entry the agent may serve, with the rules of
    /// ``mintJWTSVID(spiffeID:audience:requestedTTL:actor:)``: TTL from the entry, record first.
    func mintWorkloadJWT(for agent: AgentRecord, entryID: String, audience: [String]) async throws -> MintedJWT {
        let audience = audience.filter { !$0.isEmpty }
        guard !audience.isEmpty else {
            throw APIError.badRequest("audience is required: name the service(s) the token is for")
        }
        guard audience.count <= 32, audience.allSatisfy({ $0.utf8.count <= 512 }) else {
            throw APIError.badRequest("at most 32 audiences of at most 512 bytes each")
        }
        let entry: RegistrationEntry
        switch servableEntry(entryID, for: agent) {
        case .success(let found): entry = found
        case .failure(let refusal):
            await recordAgentEvent(agent.id.description, "svid.jwt.issue", entryID, .denied, refusal.message)
            throw APIError(.forbidden, "no_entry", refusal.message)
        }
        let ttl = min(entry.jwtTTL, configuration.jwtMaxTTL)
        let key = jwtKeys.active
        let now = Date()
        let claims = JWTClaims(
            sub: entry.spiffeID.description, aud: audience, exp: now.addingTimeInterval(TimeInterval(ttl)), iat: now,
            iss: issuer)
        let token = JWTSigner.sign(claims: claims, key: key)
        let record = CredentialRecord(
            serial: claims.jti ?? JWTClaims.newJTI(), kind: .jwtSVID, spiffeID: entry.spiffeID, entryID: entry.id,
            publicKeyFingerprint: key.kid, notBefore: claims.iat ?? now, notAfter: claims.exp,
            issuedTo: agent.id.description, audience: audience)
        let event = AuditEvent(
            actor: agent.id.description, action: "svid.jwt.issue", subject: entry.spiffeID.description,
            outcome: .success, details: ["jti": record.serial, "aud": audience.joined(separator: " "), "kid": key.kid])
        try await store.recordIssuance(record, event: event)
        return MintedJWT(token: token, claims: claims, entryID: entry.id)
    }

    /// An event a workload-facing agent observed (e.g. `workload.denied`).
    struct ReportedEvent: Sendable {
        let action: String
        let subject: String
        let outcome: AuditEvent.Outcome
        let reason: String?
        let details: [String: String]
    }

    /// Appends the agent's events in one transaction, each with the agent as actor.
    /// Agents may only report `workload.*` actions, within size limits.
    func recordReportedEvents(_ events: [ReportedEvent], from agent: AgentRecord) async throws {
        guard events.count <= AgentSettings.maxReportedEvents else {
            throw APIError.badRequest("at most \(AgentSettings.maxReportedEvents) events per request")
        }
        for (index, event) in events.enumerated() {
            guard event.action.hasPrefix("workload."), event.action.count > "workload.".count, event.action.utf8.count <= 128,
                event.action.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "_" || $0 == "-" })
            else {
                throw APIError.badRequest(
                    "events[\(index)].action '\(event.action.prefix(64))' must be workload.<verb> (letters, digits, . _ -), at most 128 bytes")
            }
            guard event.subject.utf8.count <= 2048, (event.reason?.utf8.count ?? 0) <= 2048, event.details.count <= 32,
                event.details.allSatisfy({ $0.key.utf8.count <= 128 && $0.value.utf8.count <= 2048 })
            else {
                throw APIError.badRequest(
                    "events[\(index)] is too large: subject and reason at most 2048 bytes, at most 32 details of 2048 bytes")
            }
        }
        let now = Date()
        try await store.appendEvents(
            events.map {
                AuditEvent(
                    time: now, actor: agent.id.description, action: $0.action, subject: $0.subject, outcome: $0.outcome,
                    reason: $0.reason, details: $0.details)
            })
    }
}
