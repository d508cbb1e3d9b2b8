import ArgumentParser
import Foundation
import Logging
import SignetAgent
import UnixSignals

extension AgentCommand {
    /// `signet agent [run] --server URL --join-token T --trust-bundle FILE --socket PATH --data-dir DIR`
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the node agent: attest, sync, and serve the SPIFFE Workload API on a Unix socket.",
            discussion: """
                On first start the agent attests with --join-token (or --x509pop-cert/--x509pop-key) and
                stores its identity in --data-dir; later starts reuse it. Workloads reach the Workload
                API at unix://<socket> (SPIFFE_ENDPOINT_SOCKET) and get the SVIDs of the entries whose
                selectors match their kernel credentials (unix:uid, unix:gid, unix:user, unix:group,
                unix:path, unix:sha256). With the server unreachable it keeps serving what it holds
                until it expires. Stops gracefully on SIGTERM or SIGINT.
                """)

        @Option(help: "Server base URL, e.g. https://signet.internal:8443.") var server: String
        @Option(help: "PEM trust bundle to verify the server (e.g. the server's <data-dir>/admin/bundle.pem).")
        var trustBundle: String
        @Option(help: "Workload API socket path.") var socket: String = "/tmp/signet-agent/public/api.sock"
        @Option(help: "Agent data directory (identity, cached SVIDs, keys 0600).") var dataDir: String = "./signet-agent-data"
        @Option(help: "One-time join token from `signet token create` (first start only).") var joinToken: String?
        @Option(help: "x509pop: node certificate chain (PEM).") var x509popCert: String?
        @Option(help: "x509pop: node private key (PEM).") var x509popKey: String?
        @Option(help: "Log level: trace, debug, info, notice, warning, error.") var logLevel: String = "info"

        func validate() throws {
            if (x509popCert == nil) != (x509popKey == nil) {
                throw ValidationError("--x509pop-cert and --x509pop-key go together")
            }
            guard FileManager.default.fileExists(atPath: trustBundle) else {
                throw ValidationError("--trust-bundle \(trustBundle) does not exist")
            }
        }

        func run() async throws {
            guard let level = Logger.Level(rawValue: logLevel) else {
                throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error")
            }
            var logger = Logger(label: "signet-agent")
            logger.logLevel = level
            var configuration = AgentConfiguration(
                serverURL: server, trustBundlePath: trustBundle, socketPath: socket, dataDirectory: dataDir)
            configuration.joinToken = joinToken
            configuration.x509popCertificatePath = x509popCert
            configuration.x509popKeyPath = x509popKey
            let agentLogger = logger
            let agentConfiguration = configuration
            let agent = NodeAgent(configuration: agentConfiguration, logger: agentLogger)
            try await agent.start()
            let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await WorkloadAPIServer(socketPath: agentConfiguration.socketPath, agent: agent, logger: agentLogger).run()
                }
                group.addTask { try await agent.runLoops() }
                group.addTask {
                    for await signal in signals {
                        agentLogger.info("stopping", metadata: ["signal": "\(signal)"])
                        return
                    }
                }
                FileHandle.standardOutput.write(Data("signet agent \(agent.spiffeID?.description ?? "") serving unix://\(agentConfiguration.socketPath)\n".utf8))
                _ = try await group.next()
                group.cancelAll()
            }
            await agent.shutdown()
        }
    }
}
