import ArgumentParser
import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import NIOSSL
import SignetCore
import SignetPKI
import SignetServer
import X509

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Built-in benchmarks that print a ratio against a same-run baseline.",
        subcommands: [Issue.self, Agent.self, Exchange.self, Scan.self, Inventory.self])

    struct Issue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "X.509-SVID and JWT-SVID issuance through the real HTTPS + mTLS path.",
            discussion: """
                Starts a server in this process on an ephemeral loopback port with a temporary data
                directory, registers one entry, and drives POST /v1/svids/x509 (a CSR in, the chain out,
                a durable record and event written) and POST /v1/svids/jwt at each concurrency with an
                mTLS client. Each figure is printed beside a ceiling measured in the same run: the bare
                swift-crypto work on every core (P-256 CSR verify + P-256 certificate sign; one ES256 sign).
                """)
        @Option(help: "Seconds per phase.") var seconds: Int = 5
        @Option(help: "Comma-separated concurrency levels.") var concurrency: String = "1,8,32"
        @Option(help: "Store durability: full (fsync per commit, the default) or normal.") var synchronous: String = "full"
        @Option(help: "Output format.") var output: OutputFormat = .table

        func run() async throws {
            let levels = concurrency.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !levels.isEmpty, levels.allSatisfy({ $0 > 0 && $0 <= 1024 }) else {
                throw ValidationError("--concurrency must list numbers between 1 and 1024, e.g. 1,8,32")
            }
            let phase = Duration.seconds(seconds)
            let server = try await BenchServer.start(connections: levels.max() ?? 32, durability: synchronous)
            do {
                try await measure(client: server.admin, port: server.port, levels: levels, phase: phase)
                await server.stop()
            } catch {
                await server.stop()
                throw error
            }
        }

        func measure(client: HTTPClient, port: Int, levels: [Int], phase: Duration) async throws {
            let base = "https://localhost:\(port)"
            let id = "spiffe://bench.signet.test/bench/svc"
            _ = try await Self.post(client, base + "/v1/entries", [
                "spiffe_id": id, "owner": "bench", "purpose": "benchmark", "x509_ttl": 3600, "jwt_ttl": 300,
            ], expect: 201)

            // Distinct CSRs prepared up front so the client's key generation is not measured.
            let csrBodies: [Data] = try (0..<512).map { _ in
                let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
                let csr = try CertificateSigningRequest(
                    version: .v1, subject: DistinguishedName(), privateKey: key, attributes: .init())
                return try JSONSerialization.data(withJSONObject: ["spiffe_id": id, "csr": try csr.serializeAsPEM().pemString])
            }
            let jwtBody = try JSONSerialization.data(withJSONObject: ["spiffe_id": id, "audience": ["bench"]])

            // Warm up connections and code paths.
            for i in 0..<64 { _ = try await Self.post(client, base + "/v1/svids/x509", csrBodies[i % csrBodies.count]) }

            let x509Ceiling = await CryptoCeiling.measure(.csrVerifyPlusSign, duration: phase)
            var results: [(PhaseResult, Double)] = []
            for level in levels {
                let (lat, secs) = try await runClosedLoop(concurrency: level, duration: phase) { i in
                    _ = try await Self.post(client, base + "/v1/svids/x509", csrBodies[i % csrBodies.count])
                }
                results.append((PhaseResult(name: "x509-svid", concurrency: level, latenciesNanos: lat, seconds: secs), x509Ceiling))
            }
            // The transport alone (TLS record layer, HTTP/1.1, routing, no crypto or store): the floor under both paths.
            for level in levels {
                let (lat, secs) = try await runClosedLoop(concurrency: level, duration: phase) { _ in
                    _ = try await Self.get(client, base + "/healthz")
                }
                results.append((PhaseResult(name: "https-get", concurrency: level, latenciesNanos: lat, seconds: secs), .nan))
            }
            let jwtCeiling = await CryptoCeiling.measure(.es256Sign, duration: phase)
            for level in levels {
                let (lat, secs) = try await runClosedLoop(concurrency: level, duration: phase) { _ in
                    _ = try await Self.post(client, base + "/v1/svids/jwt", jwtBody)
                }
                results.append((PhaseResult(name: "jwt-svid", concurrency: level, latenciesNanos: lat, seconds: secs), jwtCeiling))
            }
            Self.report(
                results, cores: ProcessInfo.processInfo.activeProcessorCount, seconds: seconds, output: output,
                title: "signet bench issue",
                ceilingNote: "ceiling: x509 = P-256 CSR verify + P-256 sign on all cores; jwt = one ES256 sign on all cores (swift-crypto, same run)")
        }

        static func report(
            _ results: [(PhaseResult, Double)], cores: Int, seconds: Int, output: OutputFormat, title: String,
            ceilingNote: String
        ) {
            if output == .json {
                struct Row: Encodable {
                    let cores: Int
                    let result: PhaseResult
                    let ceilingPerSecond: Double
                    let ratio: Double
                    enum CodingKeys: String, CodingKey {
                        case cores, result
                        case ceilingPerSecond = "ceiling_per_second"
                        case ratio
                    }
                }
                let rows = results.filter { !$0.1.isNaN }.map {
                    Row(cores: cores, result: $0.0, ceilingPerSecond: $0.1, ratio: $0.0.perSecond / $0.1)
                }
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
                print(String(decoding: try! encoder.encode(rows), as: UTF8.self))
                return
            }
            print("\(title): \(cores) cores, \(seconds)s per phase, HTTPS on loopback, client in the same process")
            var rows = [["KIND", "CONC", "OPS", "RATE/s", "CEILING/s", "RATIO", "P50 ms", "P99 ms"]]
            for (r, ceiling) in results {
                rows.append([
                    r.name, String(r.concurrency), String(r.operations), String(format: "%.0f", r.perSecond),
                    ceiling.isNaN ? "-" : String(format: "%.0f", ceiling),
                    ceiling.isNaN ? "-" : String(format: "%.0f%%", 100 * r.perSecond / ceiling),
                    String(format: "%.2f", r.p50Milliseconds), String(format: "%.2f", r.p99Milliseconds),
                ])
            }
            Table.print(rows)
            print(ceilingNote)
        }

        static func get(_ client: HTTPClient, _ url: String) async throws {
            let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
            _ = try await response.body.collect(upTo: 1 << 16)
            guard response.status.code == 200 else { throw CLIError("GET \(url) failed: \(response.status.code)") }
        }

        static func post(_ client: HTTPClient, _ url: String, _ body: [String: Any], expect: UInt = 200) async throws -> Data {
            try await post(client, url, try JSONSerialization.data(withJSONObject: body), expect: expect)
        }

        static func post(_ client: HTTPClient, _ url: String, _ body: Data, expect: UInt = 200) async throws -> Data {
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: body))
            let response = try await client.execute(request, timeout: .seconds(30))
            let buffer = try await response.body.collect(upTo: 1 << 20)
            guard response.status.code == expect else {
                throw CLIError("bench request to \(url) failed: \(response.status.code) \(String(buffer: buffer))")
            }
            return Data(buffer: buffer)
        }
    }
}
