import Foundation
import SignetCore
import SignetPKI
import SignetStore
import X509

/// SPIFFE federation: relationships with other trust domains, fetching their bundles, and the
/// per-domain key lookups that JWT-SVID validation and token exchange use.
///
/// Every lookup takes a trust domain and answers with that domain's keys only: bundles of
/// different domains are never merged, so a key of one domain can never vouch for another.
extension SignetAuthority {
    /// Longest refresh interval, whatever the peer's hint says.
    static let federationMaxRefresh = 86_400
    /// Repeated identical fetch errors are recorded at most this often.
    static let federationErrorEventInterval: TimeInterval = 3600

    // MARK: Lookups (in memory)

    /// The JWT-SVID keys of a federated trust domain (empty when it is not federated or has no bundle yet).
    /// Token exchange and JWT-SVID validation verify a federated domain's tokens with exactly these.
    public func federatedJWTKeys(for trustDomain: TrustDomain) -> [JWTPublicKey] {
        federatedBundles.bundle(trustDomain)?.jwtAuthorities ?? []
    }

    /// The X.509 authorities of a federated trust domain (empty when it is not federated or has no bundle yet).
    public func federatedX509Authorities(for trustDomain: TrustDomain) -> [Certificate] {
        federatedBundles.bundle(trustDomain)?.x509Authorities ?? []
    }

    /// The trust domains this server federates with, in order.
    public var federatedTrustDomains: [TrustDomain] {
        federatedBundles.slots.map(\.relationship.trustDomain)
    }

    /// A verifier for a JWT-SVID of this trust domain or of a federated one, chosen by the domain of
    /// the token's (not yet verified) `sub`. The verifier accepts only subjects of that same domain
    /// and only that domain's keys, so the unverified choice cannot widen trust.
    public func jwtVerifier(forToken token: String) throws -> JWTVerifier {
        if let unverified = try? JWTVerifier.decodeUnverified(token), case .string(let sub)? = unverified.payload["sub"],
            let id = try? SPIFFEID(sub), id.trustDomain != trustDomain,
            federatedBundles.relationship(id.trustDomain) != nil
        {
            return try JWTVerifier(trustDomain: id.trustDomain, keys: federatedJWTKeys(for: id.trustDomain))
        }
        return try JWTVerifier(trustDomain: trustDomain, keys: jwtKeys.publicKeys)
    }

    /// Fills the in-memory cache from the store; called once at start, before the listener opens.
    func loadFederation() async throws {
        federatedBundles.load(
            relationships: try await store.listFederations(), bundles: try await store.listFederatedBundles())
    }

    // MARK: Relationship changes

    /// Creates or replaces a relationship (`federation.create` / `federation.update`), then fetches its
    /// bundle once so the answer shows at once whether the endpoint works. Returns whether it was new.
    func saveFederation(_ relationship: FederationRelationship, actor: String) async throws -> Bool {
        try validate(relationship)
        let existing = try await store.federation(trustDomain: relationship.trustDomain)
        var stored = relationship
        stored.createdBy = existing?.createdBy ?? actor
        stored.createdAt = existing?.createdAt ?? Date()
        stored.updatedAt = Date()
        var details = [
            "trust_domain": stored.trustDomain.name, "bundle_endpoint_url": stored.bundleEndpointURL,
            "profile": stored.profile.name,
        ]
        if case .httpsSPIFFE(let id) = stored.profile { details["endpoint_spiffe_id"] = id.description }
        let action = existing == nil ? "federation.create" : "federation.update"
        try await store.saveFederation(
            stored,
            event: AuditEvent(
                actor: actor, action: action, subject: stored.trustDomain.name, outcome: .success, details: details))
        federatedBundles.upsert(stored)
        _ = await refreshFederatedBundle(stored.trustDomain)
        return existing == nil
    }

    /// Deletes a relationship and its bundle: from now on nothing of that domain validates here, and
    /// agents drop its bundle at their next sync (woken at once).
    func deleteFederation(_ trustDomain: TrustDomain, actor: String) async throws -> FederationRelationship {
        let referencing = entryIndex.state.withLock { state in
            state.entries.values.filter { $0.federatesWith.contains(trustDomain) }.count
        }
        let deleted = try await store.deleteFederation(
            trustDomain: trustDomain,
            event: AuditEvent(
                actor: actor, action: "federation.delete", subject: trustDomain.name, outcome: .success,
                details: ["entries_referencing": String(referencing)]))
        federatedBundles.remove(trustDomain)
        entryIndex.bundleChanged()
        return deleted
    }

    /// Structural checks that need no network: the URL, and for `https_spiffe` an endpoint ID in the
    /// federated domain plus a bootstrap bundle that parses for it.
    func validate(_ relationship: FederationRelationship) throws {
        guard relationship.trustDomain != trustDomain else {
            throw APIError.badRequest("cannot federate with this server's own trust domain \(trustDomain)")
        }
        do {
            _ = try BundleEndpointClient.endpoint(relationship.bundleEndpointURL)
        } catch {
            throw APIError.badRequest(error.message)
        }
        if case .httpsSPIFFE(let endpointID) = relationship.profile {
            guard endpointID.trustDomain == relationship.trustDomain else {
                throw APIError.badRequest(
                    "endpoint_spiffe_id \(endpointID) must be in the federated trust domain \(relationship.trustDomain)")
            }
            guard relationship.bootstrapBundle != nil else {
                throw APIError.badRequest(
                    "https_spiffe needs bootstrap_bundle: the peer's SPIFFE bundle JSON (e.g. from its /bundle), used to authenticate the endpoint until the first fetch")
            }
            do {
                _ = try BundleEndpointClient.spiffeAnchors(relationship, currentBundle: nil)
            } catch {
                throw APIError.badRequest(error.message)
            }
        } else if let bootstrap = relationship.bootstrapBundle {
            do {
                _ = try TrustBundle.parse(json: Array(bootstrap.utf8), trustDomain: relationship.trustDomain)
            } catch {
                throw APIError.badRequest("bootstrap_bundle is not a valid SPIFFE bundle: \(error.description)")
            }
        }
    }

    /// Refuses `federates_with` naming a domain without a relationship (only domains the change adds,
    /// so an entry still naming a since-deleted federation can be edited otherwise).
    func checkFederatesWith(_ entry: RegistrationEntry, previous: RegistrationEntry?) throws {
        let added = Set(entry.federatesWith).subtracting(previous?.federatesWith ?? [])
        for td in added.sorted() {
            if td == trustDomain {
                throw APIError.badRequest("federates_with must not name this server's own trust domain \(td)")
            }
            guard federatedBundles.relationship(td) != nil else {
                throw APIError.badRequest(
                    "federates_with names \(td), but there is no federation with it: add one first with `signet federation add --trust-domain \(td) ...`")
            }
        }
    }

    // MARK: Fetching

    /// When the next poll of `slot` is due: the last attempt plus the peer's refresh hint (or the
    /// configured default), clamped to [`min_refresh_seconds`, 1 day]. A failed attempt retries at
    /// the next interval, as the standard says.
    func nextFederationPoll(_ slot: FederatedBundleCache.Slot) -> Date {
        guard let last = slot.state.lastAttemptAt else { return .distantPast }
        let hint = slot.state.refreshHint ?? configuration.federationDefaultRefresh
        let interval = min(max(hint, configuration.federationMinRefresh), Self.federationMaxRefresh)
        return last.addingTimeInterval(TimeInterval(interval))
    }

    /// Fetches a federated domain's bundle now and records the outcome: the new bundle (event
    /// `federation.bundle.update` only when its keys or sequence changed, and agents are woken),
    /// or the error beside the previous bundle, which stays in use (`federation.bundle.error`,
    /// repeated identical errors at most hourly). Returns the resulting state, nil when the
    /// domain is not federated. Concurrent calls for one domain share one fetch.
    @discardableResult
    func refreshFederatedBundle(_ trustDomain: TrustDomain) async -> FederatedBundle? {
        guard federatedBundles.beginFetch(trustDomain) else {
            await federatedBundles.waitForFetch(trustDomain)
            return federatedBundles.slot(trustDomain)?.state
        }
        defer { federatedBundles.endFetch(trustDomain) }
        guard let slot = federatedBundles.slot(trustDomain) else { return nil }
        let client = BundleEndpointClient(webCABundlePath: configuration.federationCABundle)
        let now = Date()
        var next = slot.state
        next.lastAttemptAt = now
        var event: AuditEvent?
        var parsed: TrustBundle?
        do {
            let fetched = try await client.fetch(slot.relationship, currentBundle: slot.bundle)
            let normalized: [UInt8]
            do {
                normalized = try fetched.bundle.spiffeJSON()
            } catch {
                throw BundleFetchError("the bundle holds a key Signet cannot use: \(error)")
            }
            let changed = try Self.bundleChanged(from: slot.bundle, to: fetched.bundle)
            next.bundleJSON = String(decoding: normalized, as: UTF8.self)
            next.sequence = fetched.bundle.sequence
            next.refreshHint = Self.refreshHint(in: fetched.json)
            next.fetchedAt = now
            next.lastError = nil
            parsed = fetched.bundle
            if changed {
                event = AuditEvent(
                    actor: "system", action: "federation.bundle.update", subject: trustDomain.name, outcome: .success,
                    details: [
                        "sequence": String(fetched.bundle.sequence),
                        "previous_sequence": slot.state.sequence.map { String($0) } ?? "none",
                        "x509_authorities": String(fetched.bundle.x509Authorities.count),
                        "jwt_keys": String(fetched.bundle.jwtAuthorities.count),
                        "keys_sha256": (try? fetched.bundle.keyFingerprint()).map { String($0.prefix(16)) } ?? "",
                    ])
            }
        } catch {
            let message = (error as? BundleFetchError)?.message ?? "\(error)"
            next.lastError = message
            let previous = slot.lastErrorEvent
            if previous == nil || previous?.message != message
                || now.timeIntervalSince(previous!.at) >= Self.federationErrorEventInterval
            {
                event = AuditEvent(
                    actor: "system", action: "federation.bundle.error", subject: trustDomain.name, outcome: .failure,
                    reason: message, details: ["bundle_endpoint_url": slot.relationship.bundleEndpointURL])
            }
            logger.warning(
                "federated bundle fetch failed; keeping the previous bundle",
                metadata: ["trust_domain": "\(trustDomain)", "error": "\(message)"])
        }
        do {
            try await store.saveFederatedBundle(next, event: event)
        } catch StoreError.notFound {
            return nil  // deleted while fetching
        } catch {
            logger.error("cannot store federated bundle state", metadata: ["trust_domain": "\(trustDomain)", "error": "\(error)"])
            return next
        }
        let errorEventAt = event?.action == "federation.bundle.error" ? now : nil
        let wasChanged = next.bundleJSON != slot.state.bundleJSON
        guard federatedBundles.record(next, bundle: parsed, errorEventAt: errorEventAt) else { return nil }
        if wasChanged {
            logger.info(
                "federated bundle updated",
                metadata: ["trust_domain": "\(trustDomain)", "sequence": "\(next.sequence ?? 0)"])
            entryIndex.bundleChanged()
        }
        return next
    }

    /// True when the keys or the sequence differ (a first bundle is always a change).
    static func bundleChanged(from old: TrustBundle?, to new: TrustBundle) throws -> Bool {
        guard let old else { return true }
        if old.sequence != new.sequence { return true }
        return try old.keyFingerprint() != new.keyFingerprint()
    }

    /// The document's `spiffe_refresh_hint` in seconds, nil when absent or not a positive integer.
    static func refreshHint(in json: [UInt8]) -> Int? {
        guard let value = (try? JSONValue.parse(json))?.objectValue?["spiffe_refresh_hint"]?.numberValue,
            value >= 1, value <= Double(Int32.max), value == value.rounded()
        else { return nil }
        return Int(value)
    }
}
