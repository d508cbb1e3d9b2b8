import Foundation

/// Resident memory of a `signet agent` process holding `entries` X.509-SVIDs.
struct AgentMemoryBench {
    let server: BenchServer
    let entries: Int

    func run() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("signet-bench-mem-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: work) }
        let token = try await server.post("/v1/join-tokens", ["ttl": "1h"], expect: 201)
        guard let secret = token["token"] as? String, let tokenID = token["id"] as? String else {
            throw CLIError("unexpected join token response \(token)")
        }
        let agentID = (token["spiffe_id"] as? String) ?? "spiffe://bench.signet.test/signet/agent/join_token/\(tokenID)"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        process.arguments = [
            "agent", "--server", server.baseURL, "--trust-bundle", server.dataDirectory + "/admin/bundle.pem",
            "--socket", work + "/agent.sock", "--data-dir", work + "/data", "--join-token", secret, "--log-level", "error",
        ]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        defer {
            if process.isRunning {
                process.terminate()
                process.waitUntilExit()
            }
        }
        let clock = ContinuousClock()
        let start = clock.now
        _ = try await AgentBenchSupport.createEntries(
            server, count: entries, parent: agentID, selectors: ["unix:uid:4294967294"], prefix: "mem")
        let created = clock.now
        let svidDir = work + "/data/svids"
        while ((try? FileManager.default.contentsOfDirectory(atPath: svidDir))?.count ?? 0) < entries {
            guard process.isRunning else { throw CLIError("agent exited with \(process.terminationStatus)") }
            guard start.duration(to: clock.now) < .seconds(600) else { throw CLIError("agent did not receive \(entries) SVIDs in 10 min") }
            try await Task.sleep(for: .milliseconds(200))
        }
        let synced = clock.now
        try await Task.sleep(for: .seconds(2))
        let rss = Self.residentKiB(pid: process.processIdentifier)
        print("\nAgent memory: \(entries) entries, each with its own key and X.509-SVID")
        Table.print([
            ["ENTRIES", "CREATE s", "ALL SVIDS HELD s", "AGENT RSS MB"],
            [
                String(entries), String(format: "%.1f", AgentBenchSupport.milliseconds(start.duration(to: created)) / 1000),
                String(format: "%.1f", AgentBenchSupport.milliseconds(start.duration(to: synced)) / 1000),
                String(format: "%.1f", Double(rss) / 1024),
            ],
        ])
    }

    static func residentKiB(pid: Int32) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "0") ?? 0
        }
        return 0
    }
}
