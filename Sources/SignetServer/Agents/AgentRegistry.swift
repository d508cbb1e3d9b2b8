import Foundation
import SignetCore
import Synchronization

/// The attested agents in memory, loaded from the store at start and updated
/// after every store write, so that authenticating an agent's request (every
/// sync, every SVID batch) never touches the database.
///
/// Writes to one agent's record (attest, renew, evict) are serialised with
/// ``serialized(_:_:)``: a renewal that read "not evicted" must not save its
/// record over an eviction that committed meanwhile.
///
/// Sendable without `@unchecked`: all mutable state lives in `Mutex`es.
final class AgentRegistry: Sendable {
    private struct State {
        var loaded = false
        var agents: [SPIFFEID: AgentRecord] = [:]
    }

    private let state = Mutex(State())
    /// Agents with a write in progress, each with the writers queued behind it.
    private let busy = Mutex<[SPIFFEID: [CheckedContinuation<Void, Never>]]>([:])

    var isLoaded: Bool { state.withLock { $0.loaded } }

    func load(_ records: [AgentRecord]) {
        state.withLock { state in
            for record in records where state.agents[record.id] == nil { state.agents[record.id] = record }
            state.loaded = true
        }
    }

    func agent(_ id: SPIFFEID) -> AgentRecord? {
        state.withLock { $0.agents[id] }
    }

    /// Stores the record as committed to the store.
    func put(_ record: AgentRecord) {
        state.withLock { $0.agents[record.id] = record }
    }

    /// Every agent, ordered by SPIFFE ID.
    func all() -> [AgentRecord] {
        state.withLock { Array($0.agents.values) }.sorted { $0.id < $1.id }
    }

    /// Notes a request from the agent. Kept in memory only (persisted with the next
    /// renewal) so that syncs cost no database write.
    func touch(_ id: SPIFFEID, at now: Date = Date()) {
        state.withLock { state in
            if var record = state.agents[id], record.lastSeenAt < now {
                record.lastSeenAt = now
                state.agents[id] = record
            }
        }
    }

    /// Runs `body` while no other `serialized` call for the same agent runs (FIFO).
    func serialized<T: Sendable>(_ id: SPIFFEID, _ body: () async throws -> T) async rethrows -> T {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let mustWait = busy.withLock { busy -> Bool in
                if busy[id] != nil {
                    busy[id]!.append(continuation)
                    return true
                }
                busy[id] = []
                return false
            }
            if !mustWait { continuation.resume() }
        }
        defer {
            // Hand the agent to the next writer, or mark it idle.
            let next = busy.withLock { busy -> CheckedContinuation<Void, Never>? in
                guard var queue = busy[id], !queue.isEmpty else {
                    busy[id] = nil
                    return nil
                }
                let first = queue.removeFirst()
                busy[id] = queue
                return first
            }
            next?.resume()
        }
        return try await body()
    }
}
