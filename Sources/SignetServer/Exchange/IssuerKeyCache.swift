import Foundation
import SignetPKI
import Synchronization

/// Verification keys of external OIDC issuers, fetched through discovery and kept in memory so
/// that a token exchange verifies without network I/O.
///
/// Per issuer:
/// - keys younger than `refresh` are used as they are;
/// - older keys are still used while a refresh runs in the background (at most one attempt per
///   `minRefetch`), so an issuer's latency never lands on an exchange;
/// - a token naming a kid the cached set lacks triggers a refetch (key rotation is picked up
///   without a restart), but no more often than `minRefetch`, so random kids cannot turn the
///   server into a request amplifier against the issuer;
/// - when the issuer is unreachable, cached keys keep working until they are `maxAge` old, after
///   which tokens from that issuer are refused until a fetch succeeds;
/// - concurrent requests needing a fetch share one fetch.
///
/// Sendable without `@unchecked`: the state lives in a `Mutex`; fetches run in tasks that write
/// their outcome back under it.
final class IssuerKeyCache: Sendable {
    struct Settings: Sendable {
        var minRefetch: TimeInterval
        var refresh: TimeInterval
        var maxAge: TimeInterval
    }

    /// Fetches an issuer's current key set (discovery + JWKS over HTTPS in production).
    typealias Fetch = @Sendable (_ issuer: String) async throws -> JWKSet

    struct Entry: Sendable {
        let verifier: ExternalJWTVerifier
        let fetchedAt: Date
        /// Keys of the set that could not be used, and why (shown by `trust test`).
        let skipped: [String]
    }

    /// What a caller learns when no usable keys exist for an issuer.
    struct Unavailable: Error, CustomStringConvertible {
        let description: String
    }

    private struct Slot {
        var entry: Entry?
        var lastAttempt: Date?
        var lastError: String?
        var inflight: Task<Entry, any Error>?
    }

    private enum Decision {
        case use(Entry)
        case wait(Task<Entry, any Error>, fallback: Entry?)
        case fail(String)
    }

    let settings: Settings
    private let fetch: Fetch
    private let clock: @Sendable () -> Date
    private let slots = Mutex<[String: Slot]>([:])

    init(settings: Settings, clock: @escaping @Sendable () -> Date = { Date() }, fetch: @escaping Fetch) {
        self.settings = settings
        self.clock = clock
        self.fetch = fetch
    }

    /// Keys able to verify a token from `issuer` signed under `kid` (nil: any cached set will do).
    /// The verifier may still lack `kid` (then verification reports the unknown kid).
    func verifier(issuer: String, kid: String?) async throws(Unavailable) -> ExternalJWTVerifier {
        let now = clock()
        let decision = slots.withLock { slots -> Decision in
            var slot = slots[issuer] ?? Slot()
            defer { slots[issuer] = slot }
            let canAttempt = slot.lastAttempt.map { now.timeIntervalSince($0) >= settings.minRefetch } ?? true
            func startFetch() -> Task<Entry, any Error> {
                if let running = slot.inflight { return running }
                let task = Task { try await self.runFetch(issuer: issuer) }
                slot.inflight = task
                slot.lastAttempt = now
                return task
            }
            guard let entry = slot.entry else {
                if slot.inflight != nil || canAttempt { return .wait(startFetch(), fallback: nil) }
                return .fail(
                    "keys for issuer \(issuer) are unavailable (last fetch failed: \(slot.lastError ?? "unknown error")); retrying after \(Int(settings.minRefetch))s"
                )
            }
            let age = now.timeIntervalSince(entry.fetchedAt)
            let known = kid.map { entry.verifier.hasKey($0) } ?? true
            if age >= settings.maxAge {
                if slot.inflight != nil || canAttempt { return .wait(startFetch(), fallback: nil) }
                return .fail(
                    "keys for issuer \(issuer) are \(Int(age))s old, beyond the \(Int(settings.maxAge))s maximum, and the issuer is unreachable (\(slot.lastError ?? "unknown error"))"
                )
            }
            if !known {
                if slot.inflight != nil || canAttempt { return .wait(startFetch(), fallback: entry) }
                return .use(entry)
            }
            if age >= settings.refresh, canAttempt { _ = startFetch() }
            return .use(entry)
        }
        switch decision {
        case .use(let entry):
            return entry.verifier
        case .fail(let message):
            throw Unavailable(description: message)
        case .wait(let task, let fallback):
            do {
                return try await task.value.verifier
            } catch {
                if let fallback { return fallback.verifier }
                throw Unavailable(description: "keys for issuer \(issuer) could not be fetched: \(error)")
            }
        }
    }

    /// What is cached for an issuer (diagnostics).
    func cached(issuer: String) -> (entry: Entry?, lastError: String?) {
        slots.withLock { ($0[issuer]?.entry, $0[issuer]?.lastError) }
    }

    /// Whether a fetch for the issuer is running (diagnostics, and tests that wait for a background refresh).
    func isFetching(issuer: String) -> Bool {
        slots.withLock { $0[issuer]?.inflight != nil }
    }

    /// Drops issuers no rule names any more.
    func retain(issuers: Set<String>) {
        slots.withLock { slots in
            slots = slots.filter { issuers.contains($0.key) || $0.value.inflight != nil }
        }
    }

    private func runFetch(issuer: String) async throws -> Entry {
        do {
            let set = try await fetch(issuer)
            guard !set.keys.isEmpty else {
                let why = set.skipped.isEmpty ? "" : " (" + set.skipped.joined(separator: "; ") + ")"
                throw Unavailable(description: "the issuer's JWKS has no usable signing keys\(why)")
            }
            let entry = Entry(
                verifier: try ExternalJWTVerifier(keys: set.keys), fetchedAt: clock(), skipped: set.skipped)
            slots.withLock { slots in
                slots[issuer, default: Slot()].entry = entry
                slots[issuer, default: Slot()].lastError = nil
                slots[issuer, default: Slot()].inflight = nil
            }
            return entry
        } catch {
            slots.withLock { slots in
                slots[issuer, default: Slot()].lastError = "\(error)"
                slots[issuer, default: Slot()].inflight = nil
            }
            throw error
        }
    }
}
