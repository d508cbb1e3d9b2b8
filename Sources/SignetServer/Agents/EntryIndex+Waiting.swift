import Foundation
import SignetCore

/// Why a waiting sync woke up.
enum WakeReason: Sendable, Equatable {
    /// Something it may care about changed: recompute the delta.
    case changed
    /// The agent was evicted: end the request with 403.
    case evicted
    /// The wait elapsed or the request was cancelled.
    case timedOut
}

/// Syncs held open until a change concerns them (long poll), indexed so that a
/// change wakes only the agents it may affect: by parent ID for ordinary
/// entries, by selectors for node aliases, by agent for eviction.
///
/// Whoever removes a waiter from here resumes its continuation, exactly once.
struct Waiters {
    struct Waiter {
        let agentID: SPIFFEID
        let parents: Set<SPIFFEID>
        let selectors: Set<Selector>
        let continuation: CheckedContinuation<WakeReason, Never>
    }

    private var nextID: UInt64 = 0
    private var all: [UInt64: Waiter] = [:]
    private var byParent: [SPIFFEID: Set<UInt64>] = [:]
    private var byAgent: [SPIFFEID: Set<UInt64>] = [:]

    var count: Int { all.count }

    /// An id for a waiter about to be added, known before it suspends so that cancellation can find it.
    mutating func reserveID() -> UInt64 {
        nextID += 1
        return nextID
    }

    mutating func add(_ waiter: Waiter, id: UInt64) {
        all[id] = waiter
        for parent in waiter.parents { byParent[parent, default: []].insert(id) }
        byAgent[waiter.agentID, default: []].insert(id)
    }

    mutating func remove(_ id: UInt64) -> CheckedContinuation<WakeReason, Never>? {
        guard let waiter = all.removeValue(forKey: id) else { return nil }
        for parent in waiter.parents {
            byParent[parent]?.remove(id)
            if byParent[parent]?.isEmpty == true { byParent[parent] = nil }
        }
        byAgent[waiter.agentID]?.remove(id)
        if byAgent[waiter.agentID]?.isEmpty == true { byAgent[waiter.agentID] = nil }
        return waiter.continuation
    }

    /// Waiters serving any of `parents`.
    mutating func take(parents: Set<SPIFFEID>) -> [CheckedContinuation<WakeReason, Never>] {
        let ids = parents.reduce(into: Set<UInt64>()) { $0.formUnion(byParent[$1] ?? []) }
        return ids.compactMap { remove($0) }
    }

    /// Waiters whose agent has every selector of at least one of `selectorSets` (a node alias's).
    mutating func takeAll(matching selectorSets: [[Selector]]) -> [CheckedContinuation<WakeReason, Never>] {
        let sets = selectorSets.filter { !$0.isEmpty }
        let ids = all.compactMap { id, waiter in
            sets.contains { $0.allSatisfy(waiter.selectors.contains) } ? id : nil
        }
        return ids.compactMap { remove($0) }
    }

    mutating func take(agent: SPIFFEID) -> [CheckedContinuation<WakeReason, Never>] {
        (byAgent[agent] ?? []).compactMap { remove($0) }
    }

    mutating func takeEveryone() -> [CheckedContinuation<WakeReason, Never>] {
        Array(all.keys).compactMap { remove($0) }
    }
}

extension EntryIndex {
    /// Suspends until a change may affect `agent` (whose parents were `parents`
    /// when it computed an empty delta at `revision`), it is evicted, or `timeout` elapses.
    ///
    /// A change that landed between that computation and this call wakes it at
    /// once: the revision and bundle generation are compared under the same
    /// lock that registers the waiter.
    func wait(
        agent: AgentRecord, parents: Set<SPIFFEID>, revision: Int, bundleGeneration: Int, timeout: Duration
    ) async -> WakeReason {
        await withTaskGroup(of: WakeReason.self) { group in
            group.addTask {
                await self.suspend(agent: agent, parents: parents, revision: revision, bundleGeneration: bundleGeneration)
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return .timedOut
            }
            let first = await group.next() ?? .timedOut
            // Cancelling the waiter resumes it through its cancellation handler.
            group.cancelAll()
            return first
        }
    }

    private func suspend(agent: AgentRecord, parents: Set<SPIFFEID>, revision: Int, bundleGeneration: Int) async
        -> WakeReason
    {
        let waiterID = state.withLock { $0.waiters.reserveID() }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<WakeReason, Never>) in
                let immediate: WakeReason? = state.withLock { state in
                    if Task.isCancelled || state.shuttingDown { return .timedOut }
                    if state.revision != revision || state.bundleGeneration != bundleGeneration { return .changed }
                    let waiter = Waiters.Waiter(
                        agentID: agent.id, parents: parents, selectors: Set(agent.selectors),
                        continuation: continuation)
                    state.waiters.add(waiter, id: waiterID)
                    return nil
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            // Before the waiter is added this finds nothing, and the add sees `Task.isCancelled`.
            let continuation = state.withLock { $0.waiters.remove(waiterID) }
            continuation?.resume(returning: .timedOut)
        }
    }

    /// Ends the waiting syncs of an evicted agent (they answer 403).
    func evicted(agent: SPIFFEID) {
        let wake = state.withLock { $0.waiters.take(agent: agent) }
        for continuation in wake { continuation.resume(returning: .evicted) }
    }

    /// Wakes every waiting sync: the trust bundle changed, and every agent must fetch it.
    /// Whoever swaps the published bundle calls this.
    func bundleChanged() {
        let wake = state.withLock { state in
            state.bundleGeneration += 1
            return state.waiters.takeEveryone()
        }
        for continuation in wake { continuation.resume(returning: .changed) }
    }

    /// Ends every waiting sync (with an empty delta) and makes new ones return at once: called on
    /// graceful shutdown, before the HTTP server waits for in-flight requests.
    func releaseWaitersForShutdown() {
        let wake = state.withLock { state in
            state.shuttingDown = true
            return state.waiters.takeEveryone()
        }
        for continuation in wake { continuation.resume(returning: .timedOut) }
    }

    var bundleGeneration: Int { state.withLock { $0.bundleGeneration } }
    var waitingCount: Int { state.withLock { $0.waiters.count } }
}
