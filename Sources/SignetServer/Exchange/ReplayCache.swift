import Crypto
import Foundation
import SignetCore
import SignetPKI
import SignetStore
import Synchronization

/// Single-use tokens (subject tokens, client assertions) seen by this server, in memory.
///
/// The store is authoritative: a token is consumed by `Store.recordIssuance(_:event:consuming:now:)`
/// in the same transaction as the credential it yields, so a replay is refused even across servers
/// sharing one store. This cache is the fast path in front of it: it refuses a replay without a
/// database round trip, and *reserves* a key while its issuance is in flight so that two
/// concurrent requests with one token never both reach the signer. A reservation that does not
/// end in a committed issuance is released, so a failed attempt does not burn the token.
///
/// Sendable without `@unchecked`: the state lives in a `Mutex`.
final class ReplayCache: Sendable {
    private struct State {
        /// Key -> instant after which the token is invalid anyway (and the key may be forgotten).
        var used: [String: Date] = [:]
        /// Keys whose issuance is in flight.
        var reserved: Set<String> = []
    }

    private let state = Mutex(State())

    /// Loads the store's unexpired records (server start).
    func load(_ uses: [TokenUse]) {
        state.withLock { state in
            for use in uses { state.used[use.key] = max(state.used[use.key] ?? .distantPast, use.expiresAt) }
        }
    }

    /// Reserves every key, or none: returns false when one is in use or reserved at `now`.
    func reserve(_ uses: [TokenUse], now: Date) -> Bool {
        state.withLock { state in
            for use in uses {
                if state.reserved.contains(use.key) { return false }
                if let expiry = state.used[use.key], expiry > now { return false }
            }
            for use in uses { state.reserved.insert(use.key) }
            return true
        }
    }

    /// The issuance committed: the keys are used until they expire.
    func commit(_ uses: [TokenUse]) {
        state.withLock { state in
            for use in uses {
                state.reserved.remove(use.key)
                state.used[use.key] = use.expiresAt
            }
        }
    }

    /// The issuance did not happen: the keys may be tried again.
    func release(_ uses: [TokenUse]) {
        state.withLock { state in
            for use in uses { state.reserved.remove(use.key) }
        }
    }

    /// The store says a key was used (by another server sharing it): remember that here too.
    func markUsed(_ uses: [TokenUse]) { commit(uses) }

    /// Forgets keys whose tokens expired before `now`; returns how many.
    @discardableResult
    func purge(now: Date) -> Int {
        state.withLock { state in
            let before = state.used.count
            state.used = state.used.filter { $0.value > now }
            return before - state.used.count
        }
    }

    var count: Int { state.withLock { $0.used.count } }

    /// A stable, non-secret key for a token: hex SHA-256 of `iss|jti`, or of the whole token
    /// when it has no `jti` (so the key never reveals the token itself).
    static func key(issuer: String?, jti: String?, token: String) -> String {
        if let jti {
            return Fingerprint.hex(SHA256.hash(data: Array("\(issuer ?? "")|\(jti)".utf8)))
        }
        return Fingerprint.hex(SHA256.hash(data: Array(token.utf8)))
    }
}
