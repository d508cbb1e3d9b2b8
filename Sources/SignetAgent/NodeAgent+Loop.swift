import Crypto
import Foundation
import SignetCore
import SignetPKI
import X509

extension NodeAgent {
    /// Keeps state current until cancelled: sync (long poll), issue and renew workload SVIDs,
    /// renew the agent's own SVID, and send queued events.
    public func runLoops() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await self.stateLoop() }
            group.addTask { await self.eventLoop() }
        }
    }

    /// The one loop that mutates state. Each pass: one sync (waiting at most until the next
    /// renewal is due), then renew what is due. While the server is unreachable it backs off
    /// with jitter and keeps serving what it has.
    func stateLoop() async {
        var backoff = Backoff(base: configuration.initialBackoff, cap: configuration.maxBackoff)
        while !Task.isCancelled {
            do {
                try await renewAgentSVIDIfDue()
                let wait = max(0, min(configuration.syncWait, Int(nextRenewal().timeIntervalSinceNow.rounded(.down))))
                try await syncOnce(wait: wait)
                try await renewDueSVIDs()
                setConnectivity(.connected)
                backoff.reset()
            } catch where Task.isCancelled || error is CancellationError {
                return
            } catch let failure as ServerClient.Failure where failure.isRefusal {
                setConnectivity(.refused(failure.message))
                try? await Task.sleep(for: backoff.next())
            } catch {
                setConnectivity(.unreachable("\(error)"))
                try? await Task.sleep(for: backoff.next())
            }
        }
    }

    /// The earliest moment something must be renewed (workload SVIDs or the agent's own).
    func nextRenewal() -> Date {
        core.withLock { core in
            let svid = core.svids.values.map(\.renewAt).min() ?? .distantFuture
            return min(svid, core.identity?.renewAt ?? .distantFuture)
        }
    }

    // MARK: Sync

    func syncOnce(wait: Int) async throws {
        let (client, epoch, since) = try core.withLock { core -> (ServerClient, String, Int) in
            guard let client = core.client else { throw AgentError.invalidState("agent not started") }
            return (client, core.epoch, core.revision)
        }
        let query = "epoch=\(epoch.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")&since=\(since)&wait=\(wait)"
        let response = try await client.call(
            .GET, "/agent/v1/sync?" + query, timeout: .seconds(Int64(wait) + 15), as: SyncResponse.self)
        try await apply(response)
    }

    func apply(_ response: SyncResponse) async throws {
        var bundleText = ""
        response.bundle.write(into: &bundleText)
        let bundleJSON = Array(bundleText.utf8)
        var entriesChanged = false
        var federatedChanged = false
        let (bundleChanged, needSVIDs): (Bool, [RegistrationEntry]) = try core.withLock { core in
            var bundleChanged = false
            if response.bundleSequence != core.bundleSequence {
                try applyBundle(json: bundleJSON, sequence: response.bundleSequence, core: &core)
                bundleChanged = true
            }
            let federated = response.federatedBundles ?? [:]
            if federated != core.federatedBundleJSON {
                applyFederatedBundles(federated, core: &core)
                federatedChanged = true
            }
            if response.full {
                let fresh = Dictionary(response.entries.map { ($0.id, $0) }, uniquingKeysWith: { $1 })
                entriesChanged = fresh != core.entries
                core.entries = fresh
            } else {
                for entry in response.entries { core.entries[entry.id] = entry }
                for id in response.removed { core.entries.removeValue(forKey: id) }
                entriesChanged = !response.entries.isEmpty || !response.removed.isEmpty
            }
            core.epoch = response.epoch
            core.revision = response.revision
            // SVIDs of entries that are gone are dropped; entries without a current SVID need one.
            for id in core.svids.keys where core.entries[id] == nil {
                core.svids.removeValue(forKey: id)
                files.removeSVID(entryID: id)
            }
            let now = Date()
            let need = core.entries.values.filter { entry in
                guard let svid = core.svids[entry.id] else { return !entry.isExpired(at: now) }
                return svid.entryRevision != entry.revision || svid.renewAt <= now
            }
            return (bundleChanged, need)
        }
        if bundleChanged {
            try reconfigureClientTrust()
        }
        if entriesChanged || bundleChanged || federatedChanged || response.full {
            try persistSyncState()
        }
        if !needSVIDs.isEmpty {
            try await issue(needSVIDs)
        } else if entriesChanged || bundleChanged || federatedChanged {
            try publish()
        }
    }

    private func persistSyncState() throws {
        let state = core.withLock { core in
            AgentStateFiles.SyncState(
                epoch: core.epoch, revision: core.revision, bundleSequence: core.bundleSequence,
                bundleJSON: String(decoding: core.bundleJSON, as: UTF8.self), entries: Array(core.entries.values),
                federatedBundles: core.federatedBundleJSON)
        }
        try files.saveSyncState(state)
    }

    /// New trust anchors must be trusted for the server's TLS too (it may rotate onto them).
    private func reconfigureClientTrust() throws {
        let configured = try SecureFile.read(configuration.trustBundlePath)
        let (client, identity, bundleJSON, td) = core.withLock { ($0.client, $0.identity, $0.bundleJSON, $0.trustDomain) }
        try client?.reconfigure(
            trustRootsPEM: trustRootsPEM(configured: configured, bundleJSON: bundleJSON, trustDomain: td),
            identity: identity)
    }

    // MARK: Workload SVIDs

    func renewDueSVIDs() async throws {
        let due = core.withLock { core -> [RegistrationEntry] in
            let now = Date()
            return core.svids.values.filter { $0.renewAt <= now }.compactMap { core.entries[$0.entryID] }
        }
        if !due.isEmpty { try await issue(due) }
    }

    /// Generates a key per entry here, sends CSRs in batches of at most 500, stores and publishes the results.
    func issue(_ entries: [RegistrationEntry]) async throws {
        guard let client = core.withLock({ $0.client }) else { return }
        var start = 0
        while start < entries.count {
            let chunk = Array(entries[start..<min(start + 500, entries.count)])
            start += chunk.count
            var keys: [String: P256.Signing.PrivateKey] = [:]
            var items: [SVIDBatchRequest.Item] = []
            for entry in chunk {
                let key = P256.Signing.PrivateKey()
                let csr = try CertificateSigningRequest(
                    version: .v1, subject: DistinguishedName(), privateKey: .init(key), attributes: .init())
                keys[entry.id] = key
                items.append(.init(entryID: entry.id, csr: try csr.serializeAsPEM().pemString))
            }
            let response = try await client.call(
                .POST, "/agent/v1/svids", body: SVIDBatchRequest(requests: items), timeout: .seconds(120),
                as: SVIDBatchResponse.self)
            var issued: [WorkloadSVID] = []
            let revisions = Dictionary(chunk.map { ($0.id, $0.revision) }, uniquingKeysWith: { $1 })
            for item in response.svids {
                guard let key = keys[item.entryID], let revision = revisions[item.entryID] else { continue }
                let chain = try PEM.certificates(from: item.certificateChain)
                guard let leaf = chain.first, leaf.publicKey == Certificate.PublicKey(key.publicKey) else {
                    logger.error("server returned a certificate for another key; ignoring", metadata: ["entry": "\(item.entryID)"])
                    continue
                }
                issued.append(
                    WorkloadSVID(
                        entryID: item.entryID, spiffeID: try SPIFFEID(item.spiffeID),
                        chainDER: try chain.map { try TrustBundle.der($0) }, keyPKCS8: Array(key.derRepresentation),
                        notBefore: leaf.notValidBefore, notAfter: leaf.notValidAfter, entryRevision: revision))
            }
            for failure in response.errors ?? [] {
                logger.warning("server refused an SVID", metadata: ["entry": "\(failure.entryID)", "reason": "\(failure.message)"])
            }
            for svid in issued { try files.save(svid) }
            core.withLock { core in
                for svid in issued where core.entries[svid.entryID] != nil { core.svids[svid.entryID] = svid }
            }
            try publish()
        }
    }

    // MARK: The agent's own SVID

    func renewAgentSVIDIfDue() async throws {
        let (client, identity) = core.withLock { ($0.client, $0.identity) }
        guard let client, let identity, identity.renewAt <= Date() else { return }
        let key = P256.Signing.PrivateKey()
        let csr = try CertificateSigningRequest(
            version: .v1, subject: DistinguishedName(), privateKey: .init(key), attributes: .init())
        struct Body: Encodable { let csr: String }
        let issued = try await client.call(
            .POST, "/agent/v1/renew", body: Body(csr: try csr.serializeAsPEM().pemString), as: IssuedSVIDResponse.self)
        let renewed = try AgentIdentity(chainPEM: issued.certificateChain, keyPEM: key.pemRepresentation)
        try renewed.save(directory: configuration.identityDirectory)
        core.withLock { $0.identity = renewed }
        try reconfigureClientTrust()
        logger.info("renewed agent SVID", metadata: ["not_after": "\(renewed.notAfter)"])
    }

    // MARK: JWT-SVIDs and events (called from Workload API handlers)

    /// A JWT-SVID for `entry` and `audience`: from the cache while fresh, else minted by the server;
    /// an unexpired cached token is served while the server is unreachable.
    public func jwtSVID(for entry: RegistrationEntry, audience: [String]) async throws -> String {
        let key = JWTSVIDCache.key(entry.spiffeID, audience)
        if let token = jwtCache.fresh(key) { return token }
        guard let client = core.withLock({ $0.client }) else { throw AgentError.invalidState("agent not started") }
        do {
            let response = try await client.call(
                .POST, "/agent/v1/jwt", body: JWTRequest(entryID: entry.id, audience: key.audience), as: JWTResponse.self)
            jwtCache.store(key, token: response.token, expiresAt: response.expiresAt)
            return response.token
        } catch {
            if let cached = jwtCache.unexpired(key) { return cached }
            throw error
        }
    }

    /// Queues a Workload API refusal for the server's event log.
    public func reportDenial(subject: String, reason: String, details: [String: String]) {
        events.append(action: "workload.denied", subject: subject, outcome: "denied", reason: reason, details: details)
    }

    func eventLoop() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            let (batch, dropped) = events.take(limit: 100)
            if dropped > 0 { logger.warning("dropped workload events while the server was unreachable", metadata: ["count": "\(dropped)"]) }
            guard !batch.isEmpty, let client = core.withLock({ $0.client }) else { continue }
            do {
                _ = try await client.call(
                    .POST, "/agent/v1/events", body: AgentEventBatch(events: batch), as: ServerClient.Empty.self)
            } catch {
                events.requeue(batch)
            }
        }
    }
}
