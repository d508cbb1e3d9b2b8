import Foundation
import ServiceLifecycle
import SignetCore

/// Polls every federated trust domain's bundle endpoint at the peer's refresh hint (clamped to
/// `[federation] min_refresh_seconds` .. 1 day; `default_refresh_seconds` when the peer gives
/// none), retrying a failed fetch at the next interval (SPIFFE Federation §5).
///
/// Schedules come from the in-memory cache, so a relationship added, changed or deleted through
/// the admin API is picked up at the next tick without a restart. Due domains are fetched
/// concurrently; each fetch is bounded by the client's timeout.
struct FederationPoller: Service {
    let authority: SignetAuthority
    /// How often due dates are checked: the finest schedule granularity.
    var tick: Duration = .seconds(1)

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            await pollDue(now: Date())
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: tick) }
            } catch {
                return
            }
        }
    }

    /// Fetches every domain whose next poll is due at `now`.
    func pollDue(now: Date) async {
        let due = authority.federatedBundles.slots
            .filter { authority.nextFederationPoll($0) <= now }
            .map(\.relationship.trustDomain)
        guard !due.isEmpty else { return }
        await withDiscardingTaskGroup { group in
            for trustDomain in due {
                group.addTask { await authority.refreshFederatedBundle(trustDomain) }
            }
        }
    }
}
