import Foundation
import Logging
import SignetCore
import SignetPKI
import SignetStore
import Synchronization

/// The token endpoint's in-memory state: trust rules (with pinned key sets already parsed),
/// external issuers' keys, and used single-use tokens. Everything a token exchange needs except
/// the durable issuance record is here, so the hot path never reads the database.
///
/// Sendable without `@unchecked`: mutable state lives in `Mutex`es and in the Sendable caches.
final class ExchangeState: Sendable {
    let replay = ReplayCache()
    let fetcher: IssuerKeyFetcher
    let issuerKeys: IssuerKeyCache
    private let store: any Store
    private let trustDomain: TrustDomain
    private let rules = Mutex(RulesSlot())

    private struct RulesSlot {
        var current: ExchangeRules?
        /// Grows on every change notification, so a reload that raced a change is not kept.
        var generation = 0
    }

    init(configuration: ServerConfiguration, store: any Store) {
        self.store = store
        self.trustDomain = configuration.trustDomain
        let fetcher = IssuerKeyFetcher(caBundlePath: configuration.exchangeCABundle)
        self.fetcher = fetcher
        self.issuerKeys = IssuerKeyCache(
            settings: .init(
                minRefetch: TimeInterval(configuration.exchangeJWKSMinRefetch),
                refresh: TimeInterval(configuration.exchangeJWKSRefresh),
                maxAge: TimeInterval(configuration.exchangeJWKSMaxAge)),
            fetch: { issuer in try await fetcher.fetch(issuer: issuer) })
    }

    /// Loads rules and the used-token records (server start, before the listener opens).
    func load(now: Date = Date()) async throws {
        replay.load(try await store.tokenUses(activeAt: now))
        _ = try await reloadRules()
    }

    /// The current rules, loading them when a change invalidated the cache.
    func currentRules() async throws -> ExchangeRules {
        if let current = rules.withLock({ $0.current }) { return current }
        return try await reloadRules()
    }

    /// Called by the admin routes after a trust rule was created, updated or deleted: the next
    /// exchange sees the change. Reloads at once so the cost is not paid by an exchange.
    func trustRulesChanged() async {
        rules.withLock { slot in
            slot.generation += 1
            slot.current = nil
        }
        _ = try? await reloadRules()
    }

    private func reloadRules() async throws -> ExchangeRules {
        while true {
            let generation = rules.withLock { $0.generation }
            let compiled = ExchangeRules(try await store.listTrustRules(), trustDomain: trustDomain)
            let kept = rules.withLock { slot -> Bool in
                guard slot.generation == generation else { return false }
                slot.current = compiled
                return true
            }
            if kept {
                issuerKeys.retain(issuers: Set(compiled.byIssuer.keys))
                return compiled
            }
        }
    }
}

/// Trust rules as the token endpoint uses them: by issuer, by name, and with each pinned JWKS
/// parsed once.
struct ExchangeRules: Sendable {
    /// Where a rule's verification keys come from, resolved.
    enum Keys: Sendable {
        case discovery
        case pinned(ExternalJWTVerifier)
        /// The pinned JWKS does not parse (it was validated when stored, so this means the stored
        /// data changed under Signet); tokens for this rule are refused with this reason.
        case invalid(String)
    }

    struct Compiled: Sendable {
        /// The rule with its condition and template parsed once, not per token.
        let evaluator: CompiledTrustRule
        let keys: Keys
        var rule: TrustRule { evaluator.rule }
    }

    /// Every rule, ordered by name.
    let all: [Compiled]
    /// Rules by exact issuer (dictionary lookup, then a byte-exact comparison by the caller).
    let byIssuer: [String: [Compiled]]
    let byName: [String: TrustRule]

    init(_ rules: [TrustRule], trustDomain: TrustDomain) {
        var all: [Compiled] = []
        for rule in rules.sorted(by: { $0.name < $1.name }) {
            let keys: Keys
            switch rule.keySource {
            case .discovery:
                keys = .discovery
            case .pinned(let jwks):
                do {
                    keys = .pinned(try ExternalJWTVerifier(keys: try JWKSet.parse(jwks, mode: .strict).keys))
                } catch {
                    keys = .invalid("pinned JWKS of rule \(rule.name) is unusable: \(error)")
                }
            }
            all.append(Compiled(evaluator: CompiledTrustRule(rule, trustDomain: trustDomain), keys: keys))
        }
        self.all = all
        self.byIssuer = Dictionary(grouping: all, by: { $0.rule.issuer })
        self.byName = Dictionary(all.map { ($0.rule.name, $0.rule) }, uniquingKeysWith: { first, _ in first })
    }

    /// Rules whose issuer is exactly `issuer`, byte for byte.
    func rules(issuer: String) -> [Compiled] {
        (byIssuer[issuer] ?? []).filter { $0.rule.issuer.utf8.elementsEqual(issuer.utf8) }
    }
}
