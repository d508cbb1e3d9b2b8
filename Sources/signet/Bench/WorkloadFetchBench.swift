import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Logging
import SignetAgent
import SignetCore

/// FetchX509SVID / FetchJWTSVID latency on cached identities beside a bare unary call.
struct WorkloadFetchBench {
    let server: BenchServer
    let seconds: Int
    let levels: [Int]

    func run() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("signet-bench-agent-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: work) }
        var logger = Logger(label: "bench-agent")
        logger.logLevel = .critical
        var config = AgentConfiguration(
            serverURL: server.baseURL, trustBundlePath: server.dataDirectory + "/admin/bundle.pem",
            socketPath: work + "/agent.sock", dataDirectory: work + "/data")
        config.joinToken = try await AgentBenchSupport.joinToken(server)
        let agentLogger = logger
        let agentConfig = config
        let agent = NodeAgent(configuration: agentConfig, logger: agentLogger)
        try await agent.start()
        guard let agentID = agent.spiffeID else { throw CLIError("agent has no identity") }
        let bareSocket = work + "/bare.sock"

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await agent.runLoops() }
            group.addTask {
                try await WorkloadAPIServer(socketPath: agentConfig.socketPath, agent: agent, logger: agentLogger).run()
            }
            let bare = GRPCServer(transport: Self.bareTransport(bareSocket), services: [NoOpWorkloadAPI()])
            group.addTask { try await bare.serve() }
            // Graceful, never by cancelling serve(): cancelling NIO's serving task while accepted
            // connections are still buffered traps (swift-nio #3481). The agent's server does the same.
            defer { bare.beginGracefulShutdown() }

            _ = try await AgentBenchSupport.createEntries(
                server, count: 1, parent: agentID.description, selectors: ["unix:uid:\(getuid())"], prefix: "fetch")
            let deadline = ContinuousClock.now.advanced(by: .seconds(30))
            while agent.publisher.current?.svids.isEmpty ?? true {
                guard ContinuousClock.now < deadline else { throw CLIError("agent did not receive its SVID") }
                try await Task.sleep(for: .milliseconds(50))
            }
            while (try? FileManager.default.attributesOfItem(atPath: config.socketPath)) == nil {
                try await Task.sleep(for: .milliseconds(20))
            }

            var rows = [["CALL", "CLIENTS", "OPS", "P50 ms", "P99 ms", "BARE P50", "BARE P99", "P99 RATIO"]]
            for level in levels {
                let bareResult = try await measure(socket: bareSocket, clients: level) { client in
                    _ = try await client.validateJWTSVID(ValidateJWTSVIDRequest(), metadata: ["workload.spiffe.io": "true"])
                }
                let x509 = try await measure(socket: config.socketPath, clients: level) { client in
                    try await client.fetchX509SVID(X509SVIDRequest(), metadata: ["workload.spiffe.io": "true"]) { response in
                        for try await _ in response.messages { return }
                    }
                }
                var request = JWTSVIDRequest()
                request.audience = ["bench"]
                let jwtRequest = request
                let jwt = try await measure(socket: config.socketPath, clients: level) { client in
                    _ = try await client.fetchJWTSVID(jwtRequest, metadata: ["workload.spiffe.io": "true"])
                }
                for (name, r) in [("FetchX509SVID", x509), ("FetchJWTSVID", jwt)] {
                    rows.append([
                        name, String(level), String(r.count), String(format: "%.3f", r.p50), String(format: "%.3f", r.p99),
                        String(format: "%.3f", bareResult.p50), String(format: "%.3f", bareResult.p99),
                        String(format: "%.2fx", r.p99 / bareResult.p99),
                    ])
                }
            }
            print("\nWorkload API on cached identities (one gRPC connection per client, \(seconds)s per cell)")
            Table.print(rows)
            bare.beginGracefulShutdown()
            group.cancelAll()
        }
        await agent.shutdown()
    }

    /// Same transport and listen backlog as the agent's server, minus attestation and logic.
    static func bareTransport(_ path: String) -> HTTP2ServerTransport.Posix {
        var config = HTTP2ServerTransport.Posix.Config.defaults
        config.channelDebuggingCallbacks.onBindTCPListener = WorkloadAPIServer.raiseListenBacklog
        return HTTP2ServerTransport.Posix(
            address: .unixDomainSocket(path: path), transportSecurity: .plaintext, config: config)
    }

    struct Latencies {
        let count: Int
        let p50: Double
        let p99: Double
    }

    /// `clients` concurrent clients, each with its own connection, calling `call` in a loop.
    /// Each client reconnects after 150 calls: a cancelled stream (how one-shot fetches end) is an
    /// HTTP/2 reset, and NIO's rapid-reset protection closes a connection after 200 resets in 30 s.
    /// Only the calls are timed, not the reconnects.
    func measure(
        socket: String, clients: Int,
        call: @escaping @Sendable (SpiffeWorkloadAPI.Client<HTTP2ClientTransport.Posix>) async throws -> Void
    ) async throws -> Latencies {
        let end = ContinuousClock.now.advanced(by: .seconds(seconds))
        let all = try await withThrowingTaskGroup(of: [Double].self) { group in
            for _ in 0..<clients {
                group.addTask { try await Self.client(socket: socket, until: end, call: call) }
            }
            var all: [Double] = []
            for try await part in group { all += part }
            return all
        }
        let sorted = all.sorted()
        return Latencies(
            count: sorted.count, p50: AgentBenchSupport.percentile(sorted, 0.5), p99: AgentBenchSupport.percentile(sorted, 0.99))
    }

    /// One client: connections of at most 150 calls until `end`; a refused connect (the listener
    /// flooded by a burst) is retried after a short pause, as gRPC clients do.
    static func client(
        socket: String, until end: ContinuousClock.Instant,
        call: @escaping @Sendable (SpiffeWorkloadAPI.Client<HTTP2ClientTransport.Posix>) async throws -> Void
    ) async throws -> [Double] {
        var samples: [Double] = []
        var refused = 0
        while ContinuousClock.now < end {
            do {
                samples += try await connection(socket: socket, until: end, call: call)
            } catch let error as RPCError where error.code == .unavailable && refused < 100 {
                refused += 1
                try await Task.sleep(for: .milliseconds(Int.random(in: 10...50)))
            }
        }
        return samples
    }

    static func connection(
        socket: String, until end: ContinuousClock.Instant,
        call: @escaping @Sendable (SpiffeWorkloadAPI.Client<HTTP2ClientTransport.Posix>) async throws -> Void
    ) async throws -> [Double] {
        try await withGRPCClient(
            transport: try .http2NIOPosix(target: .unixDomainSocket(path: socket), transportSecurity: .plaintext)
        ) { grpc in
            let client = SpiffeWorkloadAPI.Client(wrapping: grpc)
            try await call(client)  // connect and warm up
            var batch: [Double] = []
            let clock = ContinuousClock()
            while clock.now < end && batch.count < 150 {
                let start = clock.now
                try await call(client)
                batch.append(AgentBenchSupport.milliseconds(start.duration(to: clock.now)))
            }
            return batch
        }
    }
}

/// The baseline: the same generated service and transport, doing no work at all.
struct NoOpWorkloadAPI: SpiffeWorkloadAPI.SimpleServiceProtocol {
    func fetchJWTSVID(request: JWTSVIDRequest, context: ServerContext) async throws -> JWTSVIDResponse { .init() }
    func fetchJWTBundles(request: JWTBundlesRequest, response: RPCWriter<JWTBundlesResponse>, context: ServerContext) async throws {}
    func validateJWTSVID(request: ValidateJWTSVIDRequest, context: ServerContext) async throws -> ValidateJWTSVIDResponse { .init() }
    func fetchX509SVID(request: X509SVIDRequest, response: RPCWriter<X509SVIDResponse>, context: ServerContext) async throws {}
    func fetchX509Bundles(request: X509BundlesRequest, response: RPCWriter<X509BundlesResponse>, context: ServerContext) async throws {}
}
