import Foundation
import Synchronization

/// Workload API refusals waiting to be sent to the server's event log. Bounded: when the
/// server is unreachable for long, the oldest are dropped (and counted) rather than
/// growing without limit.
final class AgentEventQueue: Sendable {
    private let state = Mutex<(events: [AgentEventBatch.Event], dropped: Int)>(([], 0))
    static let capacity = 10_000

    func append(action: String, subject: String, outcome: String, reason: String?, details: [String: String] = [:]) {
        state.withLock { state in
            if state.events.count >= Self.capacity {
                state.events.removeFirst()
                state.dropped += 1
            }
            state.events.append(.init(action: action, subject: subject, outcome: outcome, reason: reason, details: details))
        }
    }

    /// Takes up to `limit` events (and the count of dropped ones since the last take).
    func take(limit: Int) -> ([AgentEventBatch.Event], Int) {
        state.withLock { state in
            let batch = Array(state.events.prefix(limit))
            state.events.removeFirst(batch.count)
            let dropped = state.dropped
            state.dropped = 0
            return (batch, dropped)
        }
    }

    /// Puts events back at the front after a failed send.
    func requeue(_ events: [AgentEventBatch.Event]) {
        state.withLock { state in
            state.events.insert(contentsOf: events, at: 0)
            if state.events.count > Self.capacity {
                state.dropped += state.events.count - Self.capacity
                state.events.removeLast(state.events.count - Self.capacity)
            }
        }
    }
}
