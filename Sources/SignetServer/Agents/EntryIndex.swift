import Foundation
import SignetCore
import Synchronization

/// Every registration entry in memory, arranged for node agents: by parent ID,
/// with a global revision that grows by one per change and a bounded log of
/// the changes themselves.
///
/// Agents sync constantly, so answering them from the database (or by
/// scanning every entry per agent) would cost agents x entries. Here a full
/// sync costs the agent's own entries and a delta costs the changes since the
/// agent's last revision. The log doubles as the tombstone record: a delta
/// learns what was deleted, or moved out of an agent's reach, from it. When an
/// agent is further behind than the log reaches, it gets a full sync instead.
///
/// `SignetAuthority+Entries` applies each change after its store write
/// succeeded, so the index never shows an entry the store does not hold.
/// Waiting syncs are woken through continuations (see `EntryIndex+Waiting`).
///
/// Sendable without `@unchecked`: all mutable state lives in a `Mutex`.
final class EntryIndex: Sendable {
    /// One change: the index's version of the entry before and after it (nil = absent).
    struct Change: Sendable {
        let revision: Int
        let entryID: String
        let before: RegistrationEntry?
        let after: RegistrationEntry?
    }

    struct State {
        var loaded = false
        var entries: [String: RegistrationEntry] = [:]
        var byParent: [SPIFFEID: Set<String>] = [:]
        /// Entries by the SPIFFE ID they grant: the issuance path's lookup, served from memory.
        var bySPIFFEID: [SPIFFEID: Set<String>] = [:]
        /// Node-alias entry ids keyed by their smallest selector: an alias can only match an
        /// agent that has that selector, so matching looks at few aliases.
        var aliasesByFirstSelector: [Selector: Set<String>] = [:]
        /// Per parent, how many of its entries federate with each trust domain: which federated
        /// bundles an agent needs, without looking at its entries on every sync.
        var federatesByParent: [SPIFFEID: [TrustDomain: Int]] = [:]
        /// Starts at 1 (the state as loaded), so an agent that synced before any change
        /// holds a revision it can wait on; `since=0` always means "send everything".
        var revision = 1
        /// Ascending, consecutive revisions: `log[i].revision == log[0].revision + i`.
        var log: [Change] = []
        /// Every change up to this revision has been dropped from the log (or predates it).
        var forgottenThrough = 1
        /// Ids deleted while their deletion is still in the log; a late, stale upsert must not revive them.
        var deleted: Set<String> = []
        var bundleGeneration = 0
        /// Set when the server stops: waiting syncs end at once so shutdown is not held by long polls.
        var shuttingDown = false
        var waiters = Waiters()
    }

    /// The log keeps this many changes (64 Ki by default); an agent further behind gets a full sync.
    let logCapacity: Int

    /// Random per server start: a revision means nothing to another process's index.
    let epoch: String
    /// Entries with this parent are node aliases (`spiffe://TD/signet/server`).
    let serverID: SPIFFEID
    let state = Mutex(State())

    init(serverID: SPIFFEID, logCapacity: Int = 65_536) {
        self.serverID = serverID
        self.logCapacity = max(4, logCapacity)
        var rng = SystemRandomNumberGenerator()
        self.epoch = (0..<4).map { _ in String(rng.next() as UInt32, radix: 16) }.joined()
    }

    var isLoaded: Bool { state.withLock { $0.loaded } }

    /// The entries granting `spiffeID`, ordered by id (the same order the store returns).
    func entries(spiffeID: SPIFFEID) -> [RegistrationEntry] {
        state.withLock { state in
            (state.bySPIFFEID[spiffeID] ?? []).sorted().compactMap { state.entries[$0] }
        }
    }

    func entry(id: String) -> RegistrationEntry? {
        state.withLock { $0.entries[id] }
    }
    var revision: Int { state.withLock { $0.revision } }

    /// Fills the index from the store at start. Entries applied before (none, normally) are kept.
    func load(_ entries: [RegistrationEntry]) {
        state.withLock { state in
            for entry in entries where state.entries[entry.id] == nil {
                insert(entry, into: &state)
            }
            state.loaded = true
        }
    }

    // MARK: Changes

    /// Records a created or updated entry. A version older than the one held (two
    /// concurrent updates finishing out of order) or of a deleted id is ignored.
    func upsert(_ entry: RegistrationEntry) {
        let wake = state.withLock { state -> [CheckedContinuation<WakeReason, Never>] in
            if state.deleted.contains(entry.id) { return [] }
            let before = state.entries[entry.id]
            if let before, before.revision > entry.revision { return [] }
            if let before { remove(before, from: &state) }
            insert(entry, into: &state)
            return record(Change(revision: 0, entryID: entry.id, before: before, after: entry), in: &state)
        }
        for continuation in wake { continuation.resume(returning: .changed) }
    }

    /// Records a deleted entry.
    func remove(id: String) {
        let wake = state.withLock { state -> [CheckedContinuation<WakeReason, Never>] in
            guard let before = state.entries[id] else { return [] }
            remove(before, from: &state)
            state.deleted.insert(id)
            return record(Change(revision: 0, entryID: id, before: before, after: nil), in: &state)
        }
        for continuation in wake { continuation.resume(returning: .changed) }
    }

    private func record(_ change: Change, in state: inout State) -> [CheckedContinuation<WakeReason, Never>] {
        state.revision += 1
        state.log.append(
            Change(revision: state.revision, entryID: change.entryID, before: change.before, after: change.after))
        if state.log.count > logCapacity {
            // Drop a quarter at once so trimming stays amortised O(1) per change.
            let dropped = state.log.prefix(logCapacity / 4)
            for old in dropped where old.after == nil { state.deleted.remove(old.entryID) }
            state.forgottenThrough = dropped.last?.revision ?? state.forgottenThrough
            state.log.removeFirst(dropped.count)
        }
        if isAlias(change.before) || isAlias(change.after) {
            // A node alias can change any matching agent's set of parents; alias changes are rare.
            return state.waiters.takeAll(matching: [change.before, change.after].compactMap { $0 }.map(\.selectors))
        }
        let parents = Set([change.before?.parentID, change.after?.parentID].compactMap { $0 })
        return state.waiters.take(parents: parents)
    }

    private func insert(_ entry: RegistrationEntry, into state: inout State) {
        state.entries[entry.id] = entry
        state.bySPIFFEID[entry.spiffeID, default: []].insert(entry.id)
        if let parent = entry.parentID {
            state.byParent[parent, default: []].insert(entry.id)
            for td in entry.federatesWith { state.federatesByParent[parent, default: [:]][td, default: 0] += 1 }
        }
        if isAlias(entry), let first = entry.selectors.min() {
            state.aliasesByFirstSelector[first, default: []].insert(entry.id)
        }
    }

    private func remove(_ entry: RegistrationEntry, from state: inout State) {
        state.entries[entry.id] = nil
        state.bySPIFFEID[entry.spiffeID]?.remove(entry.id)
        if state.bySPIFFEID[entry.spiffeID]?.isEmpty == true { state.bySPIFFEID[entry.spiffeID] = nil }
        if let parent = entry.parentID {
            state.byParent[parent]?.remove(entry.id)
            if state.byParent[parent]?.isEmpty == true { state.byParent[parent] = nil }
            for td in entry.federatesWith {
                state.federatesByParent[parent]?[td, default: 1] -= 1
                if state.federatesByParent[parent]?[td] == 0 { state.federatesByParent[parent]?[td] = nil }
            }
            if state.federatesByParent[parent]?.isEmpty == true { state.federatesByParent[parent] = nil }
        }
        if isAlias(entry), let first = entry.selectors.min() {
            state.aliasesByFirstSelector[first]?.remove(entry.id)
            if state.aliasesByFirstSelector[first]?.isEmpty == true { state.aliasesByFirstSelector[first] = nil }
        }
    }

    // MARK: Authorisation

    func isAlias(_ entry: RegistrationEntry?) -> Bool { entry?.parentID == serverID }

    /// An alias applies to an agent when it has selectors and the agent has every one of them.
    /// An alias without selectors matches no agent: it would otherwise hand its entries to every node.
    static func aliasMatches(_ alias: RegistrationEntry, _ selectors: Set<Selector>) -> Bool {
        !alias.selectors.isEmpty && alias.selectors.allSatisfy(selectors.contains)
    }

    /// The node-alias entries (id -> SPIFFE ID) that currently apply to an agent with `selectors`.
    static func matchingAliases(_ selectors: Set<Selector>, in state: State) -> [String: SPIFFEID] {
        var found: [String: SPIFFEID] = [:]
        for selector in selectors {
            for id in state.aliasesByFirstSelector[selector] ?? [] {
                if let alias = state.entries[id], aliasMatches(alias, selectors) { found[id] = alias.spiffeID }
            }
        }
        return found
    }

    /// The trust domains the entries under `parents` federate with.
    static func federatedDomains(parents: Set<SPIFFEID>, in state: State) -> Set<TrustDomain> {
        parents.reduce(into: Set<TrustDomain>()) { domains, parent in
            if let counts = state.federatesByParent[parent] { domains.formUnion(counts.keys) }
        }
    }

    /// The parent IDs whose entries `agent` may serve: its own ID and its matching aliases' IDs.
    static func parents(of agent: SPIFFEID, selectors: Set<Selector>, in state: State) -> Set<SPIFFEID> {
        Set(matchingAliases(selectors, in: state).values).union([agent])
    }

    /// The entry when `agent` may serve it (its parent is the agent or one of its aliases), else nil.
    func servableEntry(id: String, agent: AgentRecord) -> RegistrationEntry? {
        state.withLock { state in
            guard let entry = state.entries[id], let parent = entry.parentID else { return nil }
            if parent == agent.id { return entry }
            let selectors = Set(agent.selectors)
            return Self.matchingAliases(selectors, in: state).values.contains(parent) ? entry : nil
        }
    }
}
