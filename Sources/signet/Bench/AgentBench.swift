import ArgumentParser
import AsyncHTTPClient
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Logging
import SignetAgent
import SignetCore

extension BenchCommand {
    struct Agent: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "agent",
            abstract: "Workload API latency, agent memory, and entry propagation to many agents.",
            discussion: """
                fetch:        a real agent (in this process) serves a cached identity over its Unix socket;
                              1/50/200 concurrent gRPC clients (one connection each) call FetchX509SVID
                              (first message, then cancel, as py-spiffe does) and FetchJWTSVID (cached),
                              beside a bare unary gRPC call to a no-op service over the same kind of socket.
                memory:       a `signet agent` process holding --entries SVIDs; its resident memory.
                propagation:  --agents simulated agents (own SVIDs, long-polling /agent/v1/sync over mTLS)
                              with 10 entries each; one new entry per agent is created and the time until
                              every agent has seen its entry is measured.
                """)

        enum Phase: String, ExpressibleByArgument, CaseIterable {
            case fetch, memory, propagation
        }

        @Option(help: "Seconds per fetch phase.") var seconds: Int = 5
        @Option(help: "Comma-separated client counts for the fetch phase.") var clients: String = "1,50,200"
        @Option(help: "Entries held by the agent in the memory phase.") var entries: Int = 10_000
        @Option(help: "Simulated agents in the propagation phase.") var agents: Int = 1000
        @Option(help: "Entries per simulated agent.") var entriesPerAgent: Int = 10
        @Option(name: .customLong("phase"), help: "Phases to run (repeatable): fetch, memory, propagation.")
        var phases: [Phase] = Phase.allCases

        func run() async throws {
            let levels = clients.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !levels.isEmpty, levels.allSatisfy({ (1...2000).contains($0) }) else {
                throw ValidationError("--clients must list numbers between 1 and 2000, e.g. 1,50,200")
            }
            let server = try await BenchServer.start(connections: 64)
            do {
                print("signet bench agent: \(ProcessInfo.processInfo.activeProcessorCount) cores; server, agents and clients in one machine")
                if phases.contains(.fetch) { try await WorkloadFetchBench(server: server, seconds: seconds, levels: levels).run() }
                if phases.contains(.memory) { try await AgentMemoryBench(server: server, entries: entries).run() }
                if phases.contains(.propagation) {
                    try await PropagationBench(server: server, agents: agents, entriesPerAgent: entriesPerAgent).run()
                }
                await server.stop()
            } catch {
                await server.stop()
                throw error
            }
        }
    }
}

/// Helpers shared by the agent benchmarks.
enum AgentBenchSupport {
    /// A fresh join token from the admin API.
    static func joinToken(_ server: BenchServer) async throws -> String {
        let created = try await server.post("/v1/join-tokens", ["ttl": "1h"], expect: 201)
        guard let token = created["token"] as? String else { throw CLIError("no token in \(created)") }
        return token
    }

    /// Creates `count` entries with the given parent and selectors, 32 requests at a time.
    static func createEntries(
        _ server: BenchServer, count: Int, parent: String, selectors: [String], prefix: String
    ) async throws -> [String] {
        try await withThrowingTaskGroup(of: [String].self) { group in
            let workers = 32
            for worker in 0..<workers {
                group.addTask {
                    var ids: [String] = []
                    var i = worker
                    while i < count {
                        let entry = try await server.post(
                            "/v1/entries",
                            [
                                "spiffe_id": "spiffe://bench.signet.test/\(prefix)/e\(i)", "parent_id": parent,
                                "selectors": selectors, "owner": "bench", "purpose": "benchmark",
                            ], expect: 201)
                        ids.append(entry["id"] as? String ?? "")
                        i += workers
                    }
                    return ids
                }
            }
            var all: [String] = []
            for try await part in group { all += part }
            return all
        }
    }

    static func milliseconds(_ d: Duration) -> Double {
        Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
    }

    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, max(0, Int((Double(sorted.count) * p).rounded(.up)) - 1))]
    }
}
