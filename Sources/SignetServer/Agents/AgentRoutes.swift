import Foundation
import Hummingbird
import SignetCore
import SignetPKI

/// The agent API behind ``AgentAuthMiddleware``: renew the agent's SVID, sync the
/// entries it serves (long poll), obtain SVIDs and JWT-SVIDs for them, report events.
struct AgentRoutes {
    let authority: SignetAuthority

    func register(on group: RouterGroup<SignetRequestContext>) {
        group.post("renew") { request, context in
            let input = try await request.decode(as: RenewInput.self, context: context)
            let agent = try currentAgent(context)
            let svid = try await authority.renewAgent(agent.id, csrPEM: input.csr)
            return try APIJSON.response(
                AgentSVIDOutput(
                    spiffeID: agent.id.description, certificateChain: svid.chainPEM, bundle: authority.bundle.pem,
                    notAfter: svid.certificate.notValidAfter),
                extraHeaders: [.cacheControl: "no-store"])
        }
        group.get("sync") { request, context in
            try await sync(request, context)
        }
        group.post("svids") { request, context in
            var context = context
            context.maxUploadSize = max(context.maxUploadSize, AgentSettings.maxSVIDBatchBody)
            let input = try await request.decode(as: SVIDBatchInput.self, context: context)
            guard input.requests.count <= AgentSettings.maxSVIDRequests else {
                throw APIError.badRequest("at most \(AgentSettings.maxSVIDRequests) requests per call; split the batch")
            }
            let agent = try currentAgent(context)
            let (issued, refused) = await authority.issueWorkloadSVIDs(
                for: agent, input.requests.map { .init(entryID: $0.entryID, csr: $0.csr) })
            let output = SVIDBatchOutput(
                svids: issued.map {
                    .init(
                        entryID: $0.entryID, spiffeID: $0.spiffeID.description, certificateChain: $0.svid.chainPEM,
                        notAfter: $0.svid.certificate.notValidAfter, serial: $0.svid.serialHex)
                },
                errors: refused.map { .init(entryID: $0.entryID, message: $0.message) })
            return try APIJSON.response(output, extraHeaders: [.cacheControl: "no-store"])
        }
        group.post("jwt") { request, context in
            let input = try await request.decode(as: AgentJWTInput.self, context: context)
            let agent = try currentAgent(context)
            let minted = try await authority.mintWorkloadJWT(
                for: agent, entryID: input.entryID, audience: input.audience.values)
            return try APIJSON.response(
                AgentJWTOutput(token: minted.token, spiffeID: minted.claims.sub, expiresAt: minted.claims.exp),
                extraHeaders: [.cacheControl: "no-store"])
        }
        group.post("events") { request, context in
            let input = try await request.decode(as: ReportedEventsInput.self, context: context)
            let agent = try currentAgent(context)
            try await authority.recordReportedEvents(
                input.events.map {
                    .init(
                        action: $0.action, subject: $0.subject, outcome: $0.outcome, reason: $0.reason,
                        details: $0.details ?? [:])
                }, from: agent)
            return Response(status: .noContent)
        }
    }

    /// The caller's record as it is now (the middleware checked it; an eviction may have landed since).
    private func currentAgent(_ context: SignetRequestContext) throws -> AgentRecord {
        guard let id = context.caller, let agent = authority.agentRegistry.agent(id) else {
            throw APIError.unauthenticated("not an attested agent")
        }
        guard !agent.evicted else { throw APIError.forbidden("agent \(id) was evicted; it must attest again") }
        return agent
    }

    /// `GET /agent/v1/sync?epoch=E&since=R&wait=S`. With `wait`, an empty delta is held
    /// until a change concerns this agent (or the bundle), the agent is evicted (403),
    /// or `wait` seconds pass (then the empty delta is returned).
    private func sync(_ request: Request, _ context: SignetRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        let epoch = query["epoch"].map(String.init)
        let since = try Self.integer(query["since"], name: "since")
        let wait = min(try Self.integer(query["wait"], name: "wait"), AgentSettings.maxSyncWait)
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(wait)
        let startBundleSequence = authority.bundle.sequence
        let startFederatedGeneration = authority.federatedBundles.generation
        var lastRound = wait == 0
        while true {
            let agent = try currentAgent(context)
            let bundleGeneration = authority.entryIndex.bundleGeneration
            let view = authority.entryIndex.sync(agent: agent, epoch: epoch, since: since)
            let bundle = authority.bundle
            // A federated bundle change wakes waiters through `bundleChanged()` like the own bundle's.
            let federatedChanged = authority.federatedBundles.generation != startFederatedGeneration
            if lastRound || !view.isEmpty || bundle.sequence != startBundleSequence || federatedChanged
                || clock.now >= deadline
            {
                return try Self.response(
                    view, bundle: bundle,
                    federatedBundles: authority.federatedBundles.bundleDocuments(for: view.federatesWith))
            }
            let reason = await authority.entryIndex.wait(
                agent: agent, parents: view.parents, revision: view.revision, bundleGeneration: bundleGeneration,
                timeout: deadline - clock.now)
            switch reason {
            case .changed: continue
            case .timedOut: lastRound = true
            case .evicted:
                await authority.recordAgentEvent(
                    agent.id.description, "agent.denied", request.uri.path, .denied, "agent evicted during sync")
                throw APIError.forbidden("agent \(agent.id) was evicted; it must attest again")
            }
        }
    }

    /// The sync body. The bundle is already encoded once per change (`PublishedBundle`),
    /// so it is spliced in as the last member rather than decoded and encoded again per agent.
    static func response(_ view: SyncView, bundle: PublishedBundle, federatedBundles: [String: String]) throws
        -> Response
    {
        var body = try APIJSON.encoder.encode(
            SyncOutput(
                epoch: view.epoch, revision: view.revision, full: view.full, entries: view.entries,
                removed: view.removed, bundleSequence: bundle.sequence, federatedBundles: federatedBundles))
        precondition(body.last == UInt8(ascii: "}"))
        body.removeLast()
        body.append(contentsOf: Array(#","bundle":"#.utf8))
        body.append(contentsOf: bundle.spiffeJSON)
        body.append(UInt8(ascii: "}"))
        return Response(
            status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    static func integer(_ text: Substring?, name: String) throws -> Int {
        guard let text else { return 0 }
        guard let value = Int(text), value >= 0 else {
            throw APIError.badRequest("\(name) must be a non-negative integer")
        }
        return value
    }
}
