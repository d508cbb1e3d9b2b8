import ArgumentParser
import AsyncHTTPClient
import Foundation
import SignetCore
import SignetStore

extension BenchCommand {
    /// `signet bench inventory`: ingest rate, the expiring-by-owner query and a full findings
    /// recomputation over a large inventory, each beside a baseline measured in the same run.
    struct Inventory: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Inventory ingest (items/s), expiring-by-owner query latency and full findings recomputation.",
            discussion: """
                In a temporary data directory: (1) the machine's SQLite ceiling, minimal rows inserted in \
                transactions of --batch with fsync (the baseline); (2) --items realistic items (secrets, \
                certificates, keys, service accounts, IAM principals) ingested through the store with 20 \
                ownership rules applied, in uploads of --batch, the rate and its ratio to the baseline; then a \
                real server is started on that data directory and (3) --http-items more items are uploaded \
                over HTTPS the way `signet scan`/`inventory import` do, (4) GET /v1/inventory?owner=X&\
                expiring_within=30d is timed (the query `inventory list --expiring-within 30d --owner X` sends) \
                beside GET /healthz on the same connection, and (5) POST /v1/findings/recompute recomputes every \
                finding.
                """)
        @Option(help: "Items ingested through the store.") var items: Int = 1_000_000
        @Option(help: "Items per upload (the CLI sends 10000).") var batch: Int = 10_000
        @Option(help: "Items uploaded over HTTPS after the store ingest (0 to skip).") var httpItems: Int = 100_000
        @Option(help: "Query repetitions.") var queries: Int = 30
        @Option(help: "Output format.") var output: OutputFormat = .table

        func validate() throws {
            guard items >= 1_000 else { throw ValidationError("--items must be at least 1000") }
            guard (1...10_000).contains(batch) else { throw ValidationError("--batch must be between 1 and 10000") }
        }

        func run() async throws {
            let dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("signet-bench-inv-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: dataDir) }
            let now = Date()
            var report: [String: Double] = ["items": Double(items), "batch": Double(batch)]

            // 1. Baseline: the SQLite ceiling of this machine right now.
            let baselineRows = items
            let baseline = try SQLiteBaseline.insertRate(directory: dataDir, rows: baselineRows, batch: batch)
            report["baseline_rows_per_second"] = Double(Int(baseline))
            say(String(format: "baseline: %d minimal rows, %.0f rows/s (SQLite, fsync per %d)", baselineRows, baseline, batch))

            // 2. Store ingest with ownership rules.
            let resolver = OwnershipResolver(rules: try InventoryBenchData.rules())
            let ingestRate: Double
            do {
                let store = try SQLiteStore(path: dataDir + "/signet.db")
                let start = ContinuousClock.now
                var done = 0
                var assigned = 0
                while done < items {
                    let count = min(batch, items - done)
                    var chunk = (done..<(done + count)).map { InventoryBenchData.item($0, now: now) }
                    for index in chunk.indices where resolver.apply(to: &chunk[index]) { assigned += 1 }
                    _ = try await store.ingestInventory(chunk, actor: "bench") { summary in
                        AuditEvent(actor: "bench", action: "inventory.ingest", subject: "bench", outcome: .success,
                                   details: ["created": "\(summary.created)"])
                    }
                    done += count
                    if done % 100_000 == 0 { progress("ingested \(done)") }
                }
                let seconds = (ContinuousClock.now - start) / .seconds(1)
                ingestRate = Double(items) / seconds
                for team in InventoryBenchData.teams {
                    try await store.createTeam(try Team(name: team), event: AuditEvent(
                        actor: "bench", action: "team.create", subject: team, outcome: .success))
                }
                for rule in try InventoryBenchData.rules() {
                    try await store.createOwnershipRule(rule, event: AuditEvent(
                        actor: "bench", action: "ownership.rule.create", subject: rule.id, outcome: .success))
                }
                report["ingest_items_per_second"] = Double(Int(ingestRate))
                report["ingest_ratio_to_baseline"] = Double(ingestRate / baseline)
                report["owners_set_by_rules"] = Double(assigned)
                say(String(format: "store ingest: %d items in %.1f s = %.0f items/s (%.0f%% of baseline), %d owners set by rules",
                           items, seconds, ingestRate, 100 * ingestRate / baseline, assigned))
            }

            // 3-5. Through a real server on the same data directory.
            let server = try await BenchServer.start(dataDirectory: dataDir)
            defer { Task { await server.stop() } }
            if httpItems > 0 {
                let start = ContinuousClock.now
                var done = 0
                while done < httpItems {
                    let count = min(batch, httpItems - done)
                    let chunk = (done..<(done + count)).map { InventoryBenchData.item(items + $0, now: now) }
                    struct Body: Encodable { let source: String; let items: [InventoryItem] }
                    let json = try CLIJSON.encoder.encode(Body(source: "bench", items: chunk))
                    _ = try await BenchServer.send(server.admin, .POST, server.baseURL + "/v1/inventory", json)
                    done += count
                }
                let seconds = (ContinuousClock.now - start) / .seconds(1)
                report["http_ingest_items_per_second"] = Double(Int(Double(httpItems) / seconds))
                say(String(format: "HTTPS upload: %d items in %.1f s = %.0f items/s (JSON encode + TLS + decode + checks + store)",
                           httpItems, seconds, Double(httpItems) / seconds))
            }
            let owner = "team-7"
            let path = "/v1/inventory?owner=\(owner)&expiring_within=30d&limit=100"
            let matched = try await countMatches(server, "/v1/inventory?owner=\(owner)&expiring_within=30d&limit=10000")
            var queryTimes: [Double] = []
            var healthTimes: [Double] = []
            for _ in 0..<queries {
                queryTimes.append(try await timed { _ = try await BenchServer.send(server.admin, .GET, server.baseURL + path, nil) })
                healthTimes.append(try await timed { _ = try await BenchServer.send(server.admin, .GET, server.baseURL + "/healthz", nil) })
            }
            queryTimes.sort()
            healthTimes.sort()
            let p50 = queryTimes[queryTimes.count / 2], p99 = queryTimes[min(queryTimes.count - 1, queryTimes.count * 99 / 100)]
            report["query_matches"] = Double(matched)
            report["query_p50_ms"] = Double(p50)
            report["query_p99_ms"] = Double(p99)
            report["healthz_p50_ms"] = Double(healthTimes[healthTimes.count / 2])
            say(String(format: "query owner=%@ expiring_within=30d (first 100 of %d): p50 %.1f ms, p99 %.1f ms; GET /healthz p50 %.1f ms",
                       owner, matched, p50, p99, healthTimes[healthTimes.count / 2]))

            let recomputeStart = ContinuousClock.now
            let data = try await BenchServer.send(server.admin, .POST, server.baseURL + "/v1/findings/recompute", Data("{}".utf8))
            let wall = (ContinuousClock.now - recomputeStart) / .seconds(1)
            let result = try CLIJSON.decoder.decode(FindingsRecomputation.self, from: data)
            report["recompute_items"] = Double(result.itemsEvaluated)
            report["recompute_findings"] = Double(result.findings)
            report["recompute_seconds"] = Double(wall)
            report["recompute_items_per_second"] = Double(Int(Double(result.itemsEvaluated) / wall))
            report["recompute_ratio_to_baseline"] = Double(Double(result.itemsEvaluated) / wall / baseline)
            say(String(format: "findings recomputation: %d items, %d findings in %.1f s (%.0f items/s, %.0f%% of baseline)",
                       result.itemsEvaluated, result.findings, wall, Double(result.itemsEvaluated) / wall,
                       100 * Double(result.itemsEvaluated) / wall / baseline))
            await server.stop()
            if output == .json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
                let json = try encoder.encode(report)
                print(String(decoding: json, as: UTF8.self))
            }
        }

        private func say(_ line: String) {
            if output == .table { print(line) } else { progress(line) }
        }

        private func progress(_ line: String) {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }

        private func timed(_ body: () async throws -> Void) async throws -> Double {
            let start = ContinuousClock.now
            try await body()
            return (ContinuousClock.now - start) / .milliseconds(1)
        }

        private func countMatches(_ server: BenchServer, _ path: String) async throws -> Int {
            let data = try await BenchServer.send(server.admin, .GET, server.baseURL + path, nil)
            return try CLIJSON.decoder.decode(InventoryPage.self, from: data).items.count
        }
    }
}
