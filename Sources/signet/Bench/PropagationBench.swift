import AsyncHTTPClient
import Crypto
import Foundation
import NIOSSL
import SignetPKI
import Synchronization
import X509

/// Entry changes reaching many agents: each simulated agent attests with its own join token,
/// holds its own SVID and long-polls `/agent/v1/sync` exactly as `signet agent` does.
struct PropagationBench {
    let server: BenchServer
    let agents: Int
    let entriesPerAgent: Int

    final class Timestamps: Sendable {
        let map = Mutex<[String: ContinuousClock.Instant]>([:])
    }

    final class SimulatedAgent: Sendable {
        let id: String
        let client: HTTPClient
        let seen = Mutex<[String: ContinuousClock.Instant]>([:])
        let synced = Mutex(false)

        init(id: String, client: HTTPClient) {
            self.id = id
            self.client = client
        }
    }

    func run() async throws {
        let clock = ContinuousClock()
        let setupStart = clock.now
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("signet-bench-prop-\(UUID().uuidString)").path
        try SecureFile.makeDirectory(work)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let caPath = server.dataDirectory + "/admin/bundle.pem"
        let anonymous = try BenchServer.makeClient(caPath: caPath, certPath: nil, keyPath: nil, connections: 32)

        // Attest every simulated agent (32 at a time).
        let attested: Result<[SimulatedAgent], any Error>
        do {
            attested = .success(try await attestAll(anonymous: anonymous, caPath: caPath, work: work))
        } catch {
            attested = .failure(error)
        }
        try? await anonymous.shutdown()
        let simulated = try attested.get()
        for (index, agent) in simulated.enumerated() {
            _ = try await AgentBenchSupport.createEntries(
                server, count: entriesPerAgent, parent: agent.id, selectors: ["unix:uid:\(index)"], prefix: "p\(index)")
        }
        let setup = AgentBenchSupport.milliseconds(setupStart.duration(to: clock.now)) / 1000
        try await measure(simulated, setup: setup)
        for agent in simulated { try? await agent.client.shutdown() }
    }

    /// Attests every simulated agent with its own join token (32 at a time).
    func attestAll(anonymous: HTTPClient, caPath: String, work: String) async throws -> [SimulatedAgent] {
        try await withThrowingTaskGroup(of: [SimulatedAgent].self) { group in
            for worker in 0..<32 {
                group.addTask {
                    var out: [SimulatedAgent] = []
                    var i = worker
                    while i < agents {
                        let token = try await AgentBenchSupport.joinToken(server)
                        let key = P256.Signing.PrivateKey()
                        let csr = try CertificateSigningRequest(
                            version: .v1, subject: DistinguishedName(), privateKey: .init(key), attributes: .init())
                        let issued = try await server.post(
                            "/agent/v1/attest/join_token", ["token": token, "csr": try csr.serializeAsPEM().pemString],
                            client: anonymous)
                        guard let id = issued["spiffe_id"] as? String, let chain = issued["certificate_chain"] as? String else {
                            throw CLIError("attestation failed: \(issued)")
                        }
                        try SecureFile.write(chain, to: "\(work)/a\(i).pem")
                        try SecureFile.write(key.pemRepresentation, to: "\(work)/a\(i).key")
                        let client = try BenchServer.makeClient(
                            caPath: caPath, certPath: "\(work)/a\(i).pem", keyPath: "\(work)/a\(i).key", connections: 1)
                        out.append(SimulatedAgent(id: id, client: client))
                        i += 32
                    }
                    return out
                }
            }
            var all: [SimulatedAgent] = []
            for try await part in group { all += part }
            return all
        }
    }

    func measure(_ simulated: [SimulatedAgent], setup: Double) async throws {
        let clock = ContinuousClock()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for agent in simulated {
                group.addTask { try await syncLoop(agent) }
            }
            // Every agent has its initial full state and is waiting in a long poll.
            while !simulated.allSatisfy({ $0.synced.withLock { $0 } }) {
                try await Task.sleep(for: .milliseconds(50))
            }
            try await Task.sleep(for: .milliseconds(500))

            // One new entry per agent; remember when each create was committed.
            let changeStart = clock.now
            let createdAt = Timestamps()
            try await withThrowingTaskGroup(of: Void.self) { creators in
                for worker in 0..<32 {
                    creators.addTask {
                        var i = worker
                        while i < simulated.count {
                            let name = "spiffe://bench.signet.test/changed/a\(i)"
                            _ = try await server.post(
                                "/v1/entries",
                                ["spiffe_id": name, "parent_id": simulated[i].id, "owner": "bench", "purpose": "benchmark"],
                                expect: 201)
                            let now = clock.now
                            createdAt.map.withLock { $0[name] = now }
                            i += 32
                        }
                    }
                }
                try await creators.waitForAll()
            }
            let createsDone = clock.now
            let deadline = createsDone.advanced(by: .seconds(60))
            func allSeen() -> Bool {
                simulated.enumerated().allSatisfy { i, agent in
                    agent.seen.withLock { $0["spiffe://bench.signet.test/changed/a\(i)"] != nil }
                }
            }
            while !allSeen() && clock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            group.cancelAll()

            let created = createdAt.map.withLock { $0 }
            var latencies: [Double] = []
            var last = changeStart
            for (i, agent) in simulated.enumerated() {
                let name = "spiffe://bench.signet.test/changed/a\(i)"
                guard let seen = agent.seen.withLock({ $0[name] }), let made = created[name] else { continue }
                latencies.append(max(0, AgentBenchSupport.milliseconds(made.duration(to: seen))))
                if seen > last { last = seen }
            }
            latencies.sort()
            print("\nPropagation: \(simulated.count) agents x \(entriesPerAgent) entries (setup \(String(format: "%.0f", setup)) s), one new entry per agent")
            Table.print([
                ["AGENTS", "REACHED", "CREATES s", "ALL REACHED s", "P50 ms", "P99 ms", "MAX ms"],
                [
                    String(simulated.count), String(latencies.count),
                    String(format: "%.2f", AgentBenchSupport.milliseconds(changeStart.duration(to: createsDone)) / 1000),
                    String(format: "%.2f", AgentBenchSupport.milliseconds(changeStart.duration(to: last)) / 1000),
                    String(format: "%.1f", AgentBenchSupport.percentile(latencies, 0.5)),
                    String(format: "%.1f", AgentBenchSupport.percentile(latencies, 0.99)),
                    String(format: "%.1f", latencies.last ?? 0),
                ],
            ])
        }
    }

    /// The agent's long-poll loop: record when each entry SPIFFE ID is first seen.
    func syncLoop(_ agent: SimulatedAgent) async throws {
        var epoch = ""
        var since = 0
        let clock = ContinuousClock()
        while !Task.isCancelled {
            let url = server.baseURL + "/agent/v1/sync?epoch=\(epoch)&since=\(since)&wait=30"
            let data = try await BenchServer.send(agent.client, .GET, url, nil)
            let now = clock.now
            guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { continue }
            epoch = object["epoch"] as? String ?? ""
            since = object["revision"] as? Int ?? since
            let ids = (object["entries"] as? [[String: Any]] ?? []).compactMap { $0["spiffe_id"] as? String }
            agent.seen.withLock { seen in for id in ids where seen[id] == nil { seen[id] = now } }
            agent.synced.withLock { $0 = true }
        }
    }
}
