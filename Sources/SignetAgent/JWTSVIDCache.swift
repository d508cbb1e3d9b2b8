import Foundation
import SignetCore
import Synchronization

/// JWT-SVIDs per (SPIFFE ID, audience set), reused until half their lifetime has passed,
/// so a busy workload asking for the same token does not cost a server round trip each time.
final class JWTSVIDCache: Sendable {
    struct Key: Hashable {
        let spiffeID: SPIFFEID
        let audience: [String]
    }

    struct Token {
        let token: String
        let issuedAt: Date
        let expiresAt: Date
        var refreshAt: Date { issuedAt.addingTimeInterval(expiresAt.timeIntervalSince(issuedAt) / 2) }
    }

    private let tokens = Mutex<[Key: Token]>([:])

    static func key(_ id: SPIFFEID, _ audience: [String]) -> Key {
        Key(spiffeID: id, audience: Array(Set(audience)).sorted())
    }

    /// A cached token younger than half its life.
    func fresh(_ key: Key, now: Date = Date()) -> String? {
        tokens.withLock { map in
            guard let token = map[key], token.refreshAt > now else { return nil }
            return token.token
        }
    }

    /// A cached token that has not expired yet: what to serve when the server cannot be reached.
    func unexpired(_ key: Key, now: Date = Date()) -> String? {
        tokens.withLock { map in
            guard let token = map[key], token.expiresAt > now.addingTimeInterval(5) else { return nil }
            return token.token
        }
    }

    func store(_ key: Key, token: String, expiresAt: Date, now: Date = Date()) {
        tokens.withLock { map in
            map[key] = Token(token: token, issuedAt: now, expiresAt: expiresAt)
            if map.count > 10_000 {
                map = map.filter { $0.value.expiresAt > now }
            }
        }
    }
}
