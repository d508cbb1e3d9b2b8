import Foundation
import Synchronization
import X509

/// Outstanding x509pop challenges: a random nonce the node must sign with the
/// key of the certificate it presented.
///
/// Kept in memory only: a challenge lives 60 s and a restart merely makes the
/// node ask again. Each is single-use (taken on the first attempt, whatever
/// its outcome, so a signature cannot be guessed at), and at most 10,000 are
/// outstanding, so unauthenticated callers cannot grow the server's memory.
///
/// Sendable without `@unchecked`: the table lives in a `Mutex`.
final class X509PoPChallenges: Sendable {
    struct Challenge: Sendable {
        let nonce: [UInt8]
        /// The validated chain, leaf first, trust anchor last.
        let chain: [Certificate]
        let leafDER: [UInt8]
        let expiresAt: Date
    }

    struct Full: Error {}

    private let table = Mutex<[String: Challenge]>([:])
    let lifetime: TimeInterval
    let capacity: Int

    init(lifetime: TimeInterval = AgentSettings.challengeLifetime, capacity: Int = AgentSettings.maxOutstandingChallenges) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    /// Creates a challenge for a validated chain; throws ``Full`` when too many are outstanding.
    func issue(chain: [Certificate], leafDER: [UInt8], now: Date = Date()) throws(Full) -> (id: String, nonce: [UInt8]) {
        var rng = SystemRandomNumberGenerator()
        let nonce = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &rng) }
        let id = (0..<16).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &rng)) }.joined()
        let challenge = Challenge(
            nonce: nonce, chain: chain, leafDER: leafDER, expiresAt: now.addingTimeInterval(lifetime))
        let stored = table.withLock { table -> Bool in
            if table.count >= capacity {
                // Sweep only when full, so the common path stays O(1).
                table = table.filter { $0.value.expiresAt > now }
                if table.count >= capacity { return false }
            }
            table[id] = challenge
            return true
        }
        guard stored else { throw Full() }
        return (id, nonce)
    }

    /// Removes and returns the challenge when it exists and has not expired.
    func take(_ id: String, now: Date = Date()) -> Challenge? {
        guard let challenge = table.withLock({ $0.removeValue(forKey: id) }) else { return nil }
        return challenge.expiresAt > now ? challenge : nil
    }

    var outstanding: Int { table.withLock { $0.count } }
}
