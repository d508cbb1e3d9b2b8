import Foundation
import Synchronization

/// Holds the current snapshot and wakes every open Workload API stream when it changes.
///
/// Watchers get an `AsyncStream` that yields the newest snapshot (buffering only the
/// latest: a slow client skips intermediate states and always sees the current one).
public final class SnapshotPublisher: Sendable {
    private struct State {
        var snapshot: AgentSnapshot?
        var watchers: [UInt64: AsyncStream<AgentSnapshot>.Continuation] = [:]
        var nextWatcher: UInt64 = 0
    }

    private let state = Mutex(State())

    public init() {}

    public var current: AgentSnapshot? { state.withLock { $0.snapshot } }

    public func publish(_ snapshot: AgentSnapshot) {
        // Yield under the lock so every watcher sees snapshots in publication order.
        state.withLock { state in
            guard (state.snapshot?.version ?? 0) <= snapshot.version else { return }
            state.snapshot = snapshot
            for watcher in state.watchers.values { watcher.yield(snapshot) }
        }
    }

    /// A stream that starts with the current snapshot (if any) and yields each new one.
    public func updates() -> AsyncStream<AgentSnapshot> {
        let (stream, continuation) = AsyncStream<AgentSnapshot>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id = state.withLock { state -> UInt64 in
            let id = state.nextWatcher
            state.nextWatcher += 1
            state.watchers[id] = continuation
            if let current = state.snapshot { continuation.yield(current) }
            return id
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.watchers.removeValue(forKey: id) }
        }
        return stream
    }

    public var watcherCount: Int { state.withLock { $0.watchers.count } }
}
