import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import ServiceLifecycle
import SignetCore
import SignetPKI

/// `signet server`: one HTTPS listener serving the public trust endpoints and
/// the mTLS-protected admin API, with graceful shutdown on SIGTERM/SIGINT.
public enum SignetServer {
    /// Starts the server and returns when it has shut down.
    /// - Parameter onListening: called with the bound port once the listener accepts connections.
    public static func run(
        configuration: ServerConfiguration, logger: Logger, onListening: @escaping @Sendable (Int) -> Void = { _ in }
    ) async throws {
        let authority = try await ServerBootstrap.start(configuration: configuration, logger: logger)
        let tls = try await authority.issueServerCertificate()
        let identity = try ServerTLSIdentity(
            chainPEM: tls.chainPEM, keyPEM: tls.keyPEM, notBefore: tls.notBefore, notAfter: tls.notAfter)
        let adminRenewAt = try await authority.ensureBootstrapAdmin()
        try await authority.loadAgentState()
        try await authority.loadFederation()
        try await authority.exchange.load()

        let router = makeRouter(authority: authority)
        let app = Application(
            router: router,
            server: try .tls(.http1(), tlsConfiguration: identity.tlsConfiguration(trustRoots: authority.ca.roots)),
            configuration: .init(
                address: .hostname(configuration.listenHost, port: configuration.listenPort), serverName: nil),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? configuration.listenPort
                authority.setBoundPort(port)
                logger.info(
                    "listening", metadata: ["address": "https://\(configuration.listenHost):\(port)",
                                            "trust_domain": "\(configuration.trustDomain)"])
                onListening(port)
            },
            logger: logger)
        let renewer = CertificateRenewer(authority: authority, identity: identity, adminRenewAt: adminRenewAt)
        let group = ServiceGroup(
            configuration: .init(
                // Shut down in reverse order: long polls are released before the HTTP server drains.
                services: [app, renewer, LongPollReleaser(authority: authority), FederationPoller(authority: authority), ExchangeMaintenance(authority: authority)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        logger.info("stopped")
    }

    static func makeRouter(authority: SignetAuthority) -> Router<SignetRequestContext> {
        let router = Router(context: SignetRequestContext.self)
        router.add(middleware: ErrorMappingMiddleware())
        PublicRoutes(authority: authority).register(on: router)
        // OAuth token endpoint: public (callers authenticate with tokens or client credentials, not admin mTLS).
        TokenEndpointRoutes(authority: authority).register(on: router)
        let v1 = router.group("v1").add(middleware: AdminAuthMiddleware(authority: authority))
        EntryRoutes(authority: authority).register(on: v1)
        X509SVIDRoutes(authority: authority).register(on: v1)
        JWTSVIDRoutes(authority: authority).register(on: v1)
        AuditRoutes(authority: authority).register(on: v1)
        AgentAdminRoutes(authority: authority).register(on: v1)
        FederationRoutes(authority: authority).register(on: v1)
        TrustRuleRoutes(authority: authority).register(on: v1)
        OAuthClientRoutes(authority: authority).register(on: v1)
        InventoryRoutes(authority: authority).register(on: v1)
        FindingsRoutes(authority: authority).register(on: v1)
        TeamRoutes(authority: authority).register(on: v1)
        // Node agents: attestation needs no client certificate; everything else needs an agent SVID.
        AgentAttestationRoutes(authority: authority).register(on: router.group("agent/v1/attest"))
        let agentAPI = router.group("agent/v1").add(middleware: AgentAuthMiddleware(authority: authority))
        AgentRoutes(authority: authority).register(on: agentAPI)
        return router
    }
}

/// Releases agents' waiting syncs when shutdown begins, so SIGTERM is not held up to 30 s by long polls.
struct LongPollReleaser: Service {
    let authority: SignetAuthority

    func run() async throws {
        try? await gracefulShutdown()
        authority.entryIndex.releaseWaitersForShutdown()
    }
}

/// Renews the server's TLS certificate and the bootstrap admin credential at half-life.
struct CertificateRenewer: Service {
    let authority: SignetAuthority
    let identity: ServerTLSIdentity
    let adminRenewAt: Date

    func run() async throws {
        var adminRenewAt = self.adminRenewAt
        var retryAt: Date?
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let next = retryAt ?? min(identity.renewAt, adminRenewAt)
            let delay = min(max(1, next.timeIntervalSinceNow), 3600)
            do {
                try await cancelWhenGracefulShutdown {
                    try await Task.sleep(for: .seconds(delay))
                }
            } catch {
                return
            }
            do {
                if identity.renewAt <= Date() {
                    let tls = try await authority.issueServerCertificate()
                    try identity.replace(
                        chainPEM: tls.chainPEM, keyPEM: tls.keyPEM, notBefore: tls.notBefore, notAfter: tls.notAfter)
                    authority.logger.info("renewed server certificate", metadata: ["not_after": "\(tls.notAfter)"])
                }
                if adminRenewAt <= Date() {
                    adminRenewAt = try await authority.ensureBootstrapAdmin()
                }
                retryAt = nil
            } catch {
                // Log once per attempt and back off; the current certificates stay in use until they expire.
                authority.logger.error("certificate renewal failed; retrying in 60s", metadata: ["error": "\(error)"])
                retryAt = Date().addingTimeInterval(60)
            }
        }
    }
}
