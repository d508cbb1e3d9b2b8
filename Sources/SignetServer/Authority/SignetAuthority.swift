import Foundation
import Logging
import SignetCore
import SignetPKI
import SignetStore
import Synchronization

/// The running trust domain: configuration, store, CA, JWT keys and the
/// published bundle. Routes call into it; it owns every rule about who gets
/// what, so the HTTP layer only translates.
public final class SignetAuthority: Sendable {
    public let configuration: ServerConfiguration
    public let store: any Store
    public let policy: GovernancePolicy
    public let logger: Logger
    let state: Mutex<State>
    /// Attested node agents, in memory so agent requests authenticate without a database read.
    let agentRegistry: AgentRegistry
    /// Every entry by parent, with a change log, so agent syncs cost what changed (see `Agents/`).
    let entryIndex: EntryIndex
    /// Outstanding x509pop attestation challenges.
    let x509popChallenges: X509PoPChallenges
    /// Federated trust domains and their fetched bundles, each kept apart (see `Federation/`).
    let federatedBundles: FederatedBundleCache
    /// Token endpoint state: trust rules, external issuers' keys, used single-use tokens (see `Exchange/`).
    let exchange: ExchangeState
    /// Compiled ownership rules and the findings recomputation in flight.
    let inventory: InventoryState

    struct State {
        var ca: CertificateAuthority
        var jwtKeys: JWTKeyring
        var bundle: PublishedBundle
        /// The port actually bound (differs from configuration when it asked for port 0).
        var boundPort: Int
    }

    init(
        configuration: ServerConfiguration, store: any Store, ca: CertificateAuthority, jwtKeys: JWTKeyring,
        bundle: PublishedBundle, logger: Logger
    ) throws {
        self.configuration = configuration
        self.store = store
        self.policy = try configuration.governancePolicy()
        self.logger = logger
        self.state = Mutex(State(ca: ca, jwtKeys: jwtKeys, bundle: bundle, boundPort: configuration.listenPort))
        self.agentRegistry = AgentRegistry()
        self.entryIndex = EntryIndex(serverID: try SPIFFEID(trustDomain: configuration.trustDomain, path: "/signet/server"))
        self.x509popChallenges = X509PoPChallenges()
        self.federatedBundles = FederatedBundleCache()
        self.exchange = ExchangeState(configuration: configuration, store: store)
        self.inventory = InventoryState()
    }

    public var trustDomain: TrustDomain { configuration.trustDomain }
    public var ca: CertificateAuthority { state.withLock { $0.ca } }
    public var jwtKeys: JWTKeyring { state.withLock { $0.jwtKeys } }
    public var bundle: PublishedBundle { state.withLock { $0.bundle } }

    public var issuer: String {
        if let url = configuration.publicURL { return url.hasSuffix("/") ? String(url.dropLast()) : url }
        return "https://localhost:\(state.withLock { $0.boundPort })"
    }

    func setBoundPort(_ port: Int) {
        state.withLock { $0.boundPort = port }
    }

    /// The SPIFFE ID the server's own TLS certificate carries.
    public var serverID: SPIFFEID { try! SPIFFEID(trustDomain: trustDomain, path: "/signet/server") }
    /// The identity of the bootstrap admin credential written to the data directory.
    public var bootstrapAdminID: SPIFFEID { try! SPIFFEID(trustDomain: trustDomain, path: "/signet/admin/bootstrap") }

    /// Admins are `spiffe://TD/signet/admin/...` (an entry can never claim that path) or listed in `[admin] ids`.
    public func isAdmin(_ id: SPIFFEID) -> Bool {
        guard id.trustDomain == trustDomain else { return false }
        if id.path.hasPrefix("/signet/admin/") { return true }
        return configuration.adminIDs.contains(id.description)
    }

    func recordDenial(actor: String, path: String, reason: String) async {
        let event = AuditEvent(actor: actor, action: "api.denied", subject: path, outcome: .denied, reason: reason)
        do {
            try await store.appendEvent(event)
        } catch {
            logger.error("cannot record denial event", metadata: ["error": "\(error)"])
        }
    }
}
