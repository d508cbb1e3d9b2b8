import Crypto
import Foundation
import Logging
import SignetCore
import SignetPKI
import Synchronization
import X509

/// `signet agent`: attests this node, keeps the entries it may serve and their SVIDs
/// current, and hands them to workloads through the Workload API.
///
/// One loop owns the state: it long-polls the server for changes (so an entry change
/// arrives within the poll's round trip) and, between polls, renews whatever is past its
/// renewal time. Workload API calls only read published snapshots.
public final class NodeAgent: Sendable {
    public let configuration: AgentConfiguration
    public let publisher = SnapshotPublisher()
    let logger: Logger
    let files: AgentStateFiles
    let jwtCache = JWTSVIDCache()
    let events = AgentEventQueue()
    let connectivity = Mutex(Connectivity.starting)
    let core: Mutex<Core>

    /// State only the agent loop mutates (guarded so Workload API handlers can read identity facts).
    struct Core {
        var identity: AgentIdentity?
        var client: ServerClient?
        var trustDomain: TrustDomain?
        var epoch = ""
        var revision = 0
        var bundleSequence: Int64 = -1
        var bundle: TrustBundle?
        var bundleJSON: [UInt8] = []
        /// Federated trust domains' bundles as the server sent them (text, to spot changes) and parsed.
        var federatedBundleJSON: [String: String] = [:]
        var federatedBundles: [TrustDomain: TrustBundle] = [:]
        var entries: [String: RegistrationEntry] = [:]
        var svids: [String: WorkloadSVID] = [:]
        var version: UInt64 = 0
    }

    enum Connectivity: Equatable {
        case starting
        case connected
        case unreachable(String)
        case refused(String)
    }

    public init(configuration: AgentConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.files = AgentStateFiles(directory: configuration.dataDirectory)
        self.core = Mutex(Core())
    }

    public var spiffeID: SPIFFEID? { core.withLock { $0.identity?.spiffeID } }

    /// Releases the connection to the server; call once the loops and the Workload API have stopped.
    public func shutdown() async {
        await core.withLock { $0.client }?.shutdown()
    }

    // MARK: Start-up

    /// Loads the persisted identity and SVIDs (publishing them at once), attesting only when
    /// there is no usable identity. Returns when the agent can serve workloads.
    public func start() async throws {
        try SecureFile.makeDirectory(configuration.dataDirectory)
        let configuredRoots = try SecureFile.read(configuration.trustBundlePath)
        let persisted = files.loadSyncState()
        var identity = AgentIdentity.load(directory: configuration.identityDirectory)
        if let current = identity, current.notAfter <= Date() {
            logger.warning("agent SVID has expired; attesting again", metadata: ["spiffe_id": "\(current.spiffeID)"])
            identity = nil
        }
        let roots = trustRootsPEM(
            configured: configuredRoots, bundleJSON: persisted.map { Array($0.bundleJSON.utf8) },
            trustDomain: identity?.spiffeID.trustDomain)
        let client = try ServerClient(baseURL: configuration.serverURL, trustRootsPEM: roots, identity: identity)
        if identity == nil {
            do {
                identity = try await attest(client: client)
                try client.reconfigure(trustRootsPEM: roots, identity: identity)
            } catch {
                await client.shutdown()
                throw error
            }
        }
        guard let identity else { throw AgentError.invalidState("no agent identity") }
        core.withLock {
            $0.identity = identity
            $0.client = client
            $0.trustDomain = identity.spiffeID.trustDomain
        }
        if let persisted {
            let svids = files.loadSVIDs()
            try core.withLock { core in
                core.epoch = persisted.epoch
                core.revision = persisted.revision
                core.entries = Dictionary(persisted.entries.map { ($0.id, $0) }, uniquingKeysWith: { $1 })
                core.svids = svids.filter { core.entries[$0.key] != nil }
                try applyBundle(json: Array(persisted.bundleJSON.utf8), sequence: persisted.bundleSequence, core: &core)
                applyFederatedBundles(persisted.federatedBundles ?? [:], core: &core)
            }
            try publish()
            logger.info(
                "serving persisted identities", metadata: ["entries": "\(persisted.entries.count)", "svids": "\(svids.count)"])
        }
        logger.info("agent identity", metadata: ["spiffe_id": "\(identity.spiffeID)", "not_after": "\(identity.notAfter)"])
    }

    private func attest(client: ServerClient) async throws -> AgentIdentity {
        let attestor: any NodeAttestor
        if let token = configuration.joinToken {
            attestor = JoinTokenAttestor(token: token)
        } else if let cert = configuration.x509popCertificatePath, let key = configuration.x509popKeyPath {
            attestor = X509PopAttestor(chainPEM: try SecureFile.read(cert), keyPEM: try SecureFile.read(key))
        } else {
            throw AgentError.attestationFailed(
                "no usable agent identity in \(configuration.identityDirectory) and no --join-token or --x509pop-cert/--x509pop-key to attest with")
        }
        let key = P256.Signing.PrivateKey()
        let csr = try CertificateSigningRequest(
            version: .v1, subject: DistinguishedName(), privateKey: .init(key), attributes: .init())
        let issued: IssuedSVIDResponse
        do {
            issued = try await attestor.attest(client: client, csrPEM: try csr.serializeAsPEM().pemString)
        } catch {
            throw AgentError.attestationFailed("\(attestor.name): \(error)")
        }
        let identity = try AgentIdentity(chainPEM: issued.certificateChain, keyPEM: key.pemRepresentation)
        try identity.save(directory: configuration.identityDirectory)
        logger.info("attested", metadata: ["method": "\(attestor.name)", "spiffe_id": "\(identity.spiffeID)"])
        return identity
    }

    /// The configured roots plus the roots of the last synced bundle (the server's TLS chain may roll to them).
    func trustRootsPEM(configured: String, bundleJSON: [UInt8]?, trustDomain: TrustDomain?) -> String {
        guard let bundleJSON, let trustDomain,
            let bundle = try? TrustBundle.parse(json: bundleJSON, trustDomain: trustDomain),
            let pem = try? PEM.encode(bundle.x509Authorities)
        else { return configured }
        return configured + "\n" + pem
    }

    // MARK: Snapshots

    func applyBundle(json: [UInt8], sequence: Int64, core: inout Core) throws {
        guard let td = core.trustDomain else { return }
        core.bundle = try TrustBundle.parse(json: json, trustDomain: td)
        core.bundleJSON = json
        core.bundleSequence = sequence
    }

    /// Replaces the federated bundles with the server's complete set. Each document is parsed for the
    /// trust domain it is filed under (never the own one); one that does not parse is left out and logged,
    /// so a peer's bad bundle cannot stop the others or the own domain from being served.
    func applyFederatedBundles(_ documents: [String: String], core: inout Core) {
        guard let own = core.trustDomain else { return }
        var parsed: [TrustDomain: TrustBundle] = [:]
        for (name, json) in documents {
            do {
                let td = try TrustDomain(name)
                guard td != own else { continue }
                parsed[td] = try TrustBundle.parse(json: Array(json.utf8), trustDomain: td)
            } catch {
                logger.warning("ignoring an unusable federated bundle", metadata: ["trust_domain": "\(name)", "error": "\(error)"])
            }
        }
        core.federatedBundleJSON = documents
        core.federatedBundles = parsed
    }

    /// Publishes the current state to every Workload API stream.
    func publish() throws {
        let snapshot = try core.withLock { core -> AgentSnapshot? in
            guard let td = core.trustDomain, let bundle = core.bundle else { return nil }
            core.version += 1
            return try AgentSnapshot(
                version: core.version, trustDomain: td, entries: core.entries, svids: core.svids, bundle: bundle,
                federatedBundles: core.federatedBundles)
        }
        if let snapshot { publisher.publish(snapshot) }
    }

    /// Logs connectivity changes once, not every retry.
    func setConnectivity(_ next: Connectivity) {
        let previous = connectivity.withLock { state -> Connectivity in
            let previous = state
            state = next
            return previous
        }
        guard previous != next else { return }
        switch next {
        case .connected:
            logger.info("connected to server", metadata: ["server": "\(configuration.serverURL)"])
        case .unreachable(let reason):
            if case .unreachable = previous { return }
            logger.warning("server unreachable; serving cached identities until they expire", metadata: ["reason": "\(reason)"])
        case .refused(let reason):
            logger.error("server refuses this agent", metadata: ["reason": "\(reason)"])
        case .starting:
            break
        }
    }
}
