import Synchronization

/// Ends every open Workload API stream when the server shuts down.
///
/// Streams never finish on their own, and the server cannot be stopped by cancelling it (see
/// ``WorkloadAPIServer/run(whenListening:)``): it shuts down gracefully, which waits for open
/// RPCs. Closing this signal makes each stream end with Unavailable, telling clients to reconnect.
final class StreamShutdown: Sendable {
    private struct State {
        var closed = false
        var nextWaiter: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = Mutex(State())

    var isClosed: Bool { state.withLock { $0.closed } }

    /// Returns when the signal is closed, or when the waiting task is cancelled.
    func wait() async {
        let id = state.withLock { state -> UInt64 in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.closed || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }

    func close() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.closed = true
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }
}
