import Foundation
import SignetCore
import SignetPKI
import Synchronization

/// The federation relationships and the newest bundle fetched for each, in memory, so that
/// JWT validation, token exchange and agent syncs never read the database.
///
/// Every trust domain has its own slot: a bundle is only ever stored under the trust domain
/// its relationship names, and nothing here combines two domains' keys. The store is the
/// source of truth; `SignetAuthority+Federation` updates this after each store write succeeds.
///
/// Sendable without `@unchecked`: all mutable state lives in a `Mutex`.
final class FederatedBundleCache: Sendable {
    /// One federated trust domain.
    struct Slot: Sendable {
        var relationship: FederationRelationship
        /// Fetch state as stored (the raw bundle JSON, sequence, last error).
        var state: FederatedBundle
        /// The parsed bundle, present once a fetch succeeded (or it was loaded from the store).
        var bundle: TrustBundle?
        /// When the last `federation.bundle.error` event was recorded, and for which message (rate limit).
        var lastErrorEvent: (message: String, at: Date)?
    }

    private struct State {
        var slots: [TrustDomain: Slot] = [:]
        /// Grows whenever a bundle agents receive changes or disappears (agents' syncs compare it).
        var generation = 0
        /// Domains with a fetch under way (one at a time per domain).
        var fetching: Set<TrustDomain> = []
    }

    private let state = Mutex(State())

    /// Replaces everything (server start).
    func load(relationships: [FederationRelationship], bundles: [FederatedBundle]) {
        let states = Dictionary(bundles.map { ($0.trustDomain, $0) }, uniquingKeysWith: { $1 })
        var slots: [TrustDomain: Slot] = [:]
        for relationship in relationships {
            let td = relationship.trustDomain
            let stored = states[td] ?? FederatedBundle(trustDomain: td)
            // A stored bundle that no longer parses is ignored (the next fetch replaces it) rather than fatal.
            let parsed = stored.bundleJSON.flatMap { try? TrustBundle.parse(json: Array($0.utf8), trustDomain: td) }
            slots[td] = Slot(relationship: relationship, state: stored, bundle: parsed, lastErrorEvent: nil)
        }
        state.withLock {
            $0.slots = slots
            $0.generation += 1
        }
    }

    /// Adds or replaces a relationship, keeping the bundle already fetched for that domain.
    func upsert(_ relationship: FederationRelationship) {
        state.withLock { state in
            let td = relationship.trustDomain
            if state.slots[td] != nil {
                state.slots[td]?.relationship = relationship
            } else {
                state.slots[td] = Slot(
                    relationship: relationship, state: FederatedBundle(trustDomain: td), bundle: nil, lastErrorEvent: nil)
            }
        }
    }

    /// Forgets a domain and its bundle.
    func remove(_ trustDomain: TrustDomain) {
        state.withLock { state in
            if state.slots.removeValue(forKey: trustDomain) != nil { state.generation += 1 }
        }
    }

    /// Records a fetch outcome for a domain that is still federated; returns false when the
    /// relationship was deleted meanwhile (the outcome is then dropped).
    @discardableResult
    func record(_ fetched: FederatedBundle, bundle: TrustBundle?, errorEventAt: Date? = nil) -> Bool {
        state.withLock { state in
            guard var slot = state.slots[fetched.trustDomain] else { return false }
            let bundleChanged = fetched.bundleJSON != slot.state.bundleJSON
            slot.state = fetched
            if let bundle { slot.bundle = bundle }
            if let errorEventAt, let message = fetched.lastError { slot.lastErrorEvent = (message, errorEventAt) }
            if fetched.lastError == nil { slot.lastErrorEvent = nil }
            state.slots[fetched.trustDomain] = slot
            if bundleChanged { state.generation += 1 }
            return true
        }
    }

    func slot(_ trustDomain: TrustDomain) -> Slot? {
        state.withLock { $0.slots[trustDomain] }
    }

    var slots: [Slot] {
        state.withLock { $0.slots.values.sorted { $0.relationship.trustDomain < $1.relationship.trustDomain } }
    }

    func relationship(_ trustDomain: TrustDomain) -> FederationRelationship? {
        state.withLock { $0.slots[trustDomain]?.relationship }
    }

    func bundle(_ trustDomain: TrustDomain) -> TrustBundle? {
        state.withLock { $0.slots[trustDomain]?.bundle }
    }

    var generation: Int { state.withLock { $0.generation } }

    /// Claims the right to fetch `trustDomain`; false when another fetch of it is under way.
    func beginFetch(_ trustDomain: TrustDomain) -> Bool {
        state.withLock { $0.fetching.insert(trustDomain).inserted }
    }

    func endFetch(_ trustDomain: TrustDomain) {
        _ = state.withLock { $0.fetching.remove(trustDomain) }
    }

    /// Waits (briefly polling) until no fetch of `trustDomain` is under way; fetches are bounded by
    /// the client's timeout, so this is too.
    func waitForFetch(_ trustDomain: TrustDomain) async {
        for _ in 0..<200 {
            if !state.withLock({ $0.fetching.contains(trustDomain) }) { return }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    /// The raw bundle JSON of each named domain that has one, keyed by trust domain name:
    /// exactly what agents receive for their entries' `federates_with`.
    func bundleDocuments(for trustDomains: Set<TrustDomain>) -> [String: String] {
        state.withLock { state in
            var documents: [String: String] = [:]
            for td in trustDomains {
                if let json = state.slots[td]?.state.bundleJSON { documents[td.name] = json }
            }
            return documents
        }
    }
}
