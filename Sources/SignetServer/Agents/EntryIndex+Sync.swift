import Foundation
import SignetCore

/// What one agent must learn to bring its copy of its entries up to date.
struct SyncView: Sendable {
    let epoch: String
    let revision: Int
    let full: Bool
    let entries: [RegistrationEntry]
    let removed: [String]
    /// The parents the agent serves now; a waiting sync is woken by changes under them.
    let parents: Set<SPIFFEID>
    /// Trust domains the agent's entries (all of them, not only the delta) federate with: the
    /// federated bundles it must hold.
    let federatesWith: Set<TrustDomain>

    var isEmpty: Bool { !full && entries.isEmpty && removed.isEmpty }
}

extension EntryIndex {
    /// The entries `agent` may serve, in full or as the delta since `since`.
    ///
    /// A full view is sent when the agent's epoch is not this server's (it last
    /// synced with an earlier process), when it has nothing (`since == 0`), or
    /// when it is further behind than the change log reaches. A delta holds the
    /// entries it may serve that changed after `since` or came into its reach
    /// (a node alias now matches), and the ids of entries it may have held that
    /// were deleted or left its reach. Cost: the changes since `since`, plus the
    /// entries under parents the agent gained or lost.
    func sync(agent: AgentRecord, epoch clientEpoch: String?, since: Int) -> SyncView {
        let selectors = Set(agent.selectors)
        return state.withLock { state in
            let aliasesNow = Self.matchingAliases(selectors, in: state)
            let parentsNow = Set(aliasesNow.values).union([agent.id])
            let canDelta =
                clientEpoch == epoch && since > 0 && since <= state.revision && since >= state.forgottenThrough
            guard canDelta else {
                var entries: [RegistrationEntry] = []
                for parent in parentsNow {
                    for id in state.byParent[parent] ?? [] { if let e = state.entries[id] { entries.append(e) } }
                }
                entries.sort { $0.id < $1.id }
                return SyncView(epoch: epoch, revision: state.revision, full: true, entries: entries, removed: [],
                    parents: parentsNow, federatesWith: Self.federatedDomains(parents: parentsNow, in: state))
            }
            let firstIndex = since + 1 - (state.log.first?.revision ?? since + 1)
            let changes = state.log.isEmpty ? state.log[...] : state.log[max(0, firstIndex)...]

            // The aliases that applied at `since`: undo the alias changes made after it.
            var aliasesThen = aliasesNow
            for change in changes.reversed() where isAlias(change.before) || isAlias(change.after) {
                aliasesThen[change.entryID] = nil
                if let before = change.before, isAlias(before), Self.aliasMatches(before, selectors) {
                    aliasesThen[change.entryID] = before.spiffeID
                }
            }
            let parentsThen = Set(aliasesThen.values).union([agent.id])

            // Each changed entry's version at `since` (the `before` of its first later change).
            var versionThen: [String: RegistrationEntry?] = [:]
            for change in changes where versionThen[change.entryID] == nil {
                versionThen[change.entryID] = .some(change.before)
            }

            var upserts: [String: RegistrationEntry] = [:]
            var removed: Set<String> = []
            for parent in parentsNow.subtracting(parentsThen) {
                for id in state.byParent[parent] ?? [] { upserts[id] = state.entries[id] }
            }
            for parent in parentsThen.subtracting(parentsNow) {
                for id in state.byParent[parent] ?? [] where versionThen[id] == nil { removed.insert(id) }
            }
            for (id, then) in versionThen {
                if let current = state.entries[id], let parent = current.parentID, parentsNow.contains(parent) {
                    upserts[id] = current
                } else if let then, let parent = then.parentID, parentsThen.contains(parent) {
                    removed.insert(id)
                }
            }
            return SyncView(
                epoch: epoch, revision: state.revision, full: false,
                entries: upserts.values.sorted { $0.id < $1.id }, removed: removed.sorted(),
                parents: parentsNow, federatesWith: Self.federatedDomains(parents: parentsNow, in: state))
        }
    }
}
