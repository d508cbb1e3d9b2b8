import ArgumentParser
import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOFoundationCompat
import SignetCore
import SignetPKI
import Synchronization

extension BenchCommand {
    struct Exchange: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "exchange",
            abstract: "RFC 8693 token exchanges per second through POST /oauth2/token.",
            discussion: """
                Starts a server in this process on an ephemeral loopback port, registers a GitHub-preset
                trust rule with a pinned JWKS (so keys are cached: no fetch is measured) and drives
                POST /oauth2/token with distinct ES256 GitHub-shaped subject tokens (each is single-use:
                replay protection is on) at each concurrency. Every exchange verifies the subject token,
                evaluates the rule, signs an ES256 JWT-SVID, and commits its record and event durably.
                The ceiling, measured in the same run, is one ES256 verify + one ES256 sign on every core.
                Subject tokens are minted before each phase, so minting is not measured.
                """)
        @Option(help: "Seconds per phase.") var seconds: Int = 5
        @Option(help: "Comma-separated concurrency levels.") var concurrency: String = "1,16"
        @Option(help: "Store durability: full (fsync per commit, the default) or normal.") var synchronous: String = "full"
        @Option(help: "Output format.") var output: OutputFormat = .table

        func run() async throws {
            let levels = concurrency.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !levels.isEmpty, levels.allSatisfy({ $0 > 0 && $0 <= 1024 }) else {
                throw ValidationError("--concurrency must list numbers between 1 and 1024, e.g. 1,16")
            }
            let server = try await BenchServer.start(connections: levels.max() ?? 16, durability: synchronous)
            do {
                try await measure(server: server, levels: levels, phase: .seconds(seconds))
                await server.stop()
            } catch {
                await server.stop()
                throw error
            }
        }

        static let issuer = "https://issuer.bench.signet.test"
        static let subjectAudience = "signet-bench"

        func measure(server: BenchServer, levels: [Int], phase: Duration) async throws {
            let issuerKey = try JWTSigningKey.generate(.es256, kid: "bench-issuer-1")
            let jwks = String(decoding: try JSONEncoder().encode(["keys": [issuerKey.publicKey.jwk(use: "sig", includeAlg: true)]]), as: UTF8.self)
            _ = try await server.post(
                "/v1/trust-rules",
                [
                    "name": "bench-github", "preset": "github", "issuer": Self.issuer, "jwks": jwks,
                    "audiences": [Self.subjectAudience], "condition": #"claims.repository_owner == "acme""#,
                    "max_ttl": 300, "owner": "bench", "purpose": "token exchange benchmark",
                ], expect: 201)
            // The token endpoint needs no client certificate.
            let client = try BenchServer.makeClient(
                caPath: server.dataDirectory + "/admin/bundle.pem", certPath: nil, keyPath: nil,
                connections: levels.max() ?? 16)
            do {
                try await drive(client: client, server: server, issuerKey: issuerKey, levels: levels, phase: phase)
                try? await client.shutdown()
            } catch {
                try? await client.shutdown()
                throw error
            }
        }

        func drive(client: HTTPClient, server: BenchServer, issuerKey: JWTSigningKey, levels: [Int], phase: Duration)
            async throws
        {
            let url = server.baseURL + "/oauth2/token"

            // Warm up connections and code paths.
            for body in try Self.subjectTokenBodies(count: 64, key: issuerKey) {
                _ = try await Self.exchange(client, url, body)
            }
            let ceiling = await CryptoCeiling.measure(.es256VerifyPlusSign, duration: phase)
            var results: [(PhaseResult, Double)] = []
            for level in levels {
                // Enough single-use tokens for a generous upper bound of the phase's rate.
                let bodies = try Self.subjectTokenBodies(count: max(20_000, Int(ceiling * 0.8) * Int(phase.components.seconds)), key: issuerKey)
                let next = Atomic<Int>(0)
                let (latencies, elapsed) = try await runClosedLoop(concurrency: level, duration: phase) { _ in
                    let index = next.add(1, ordering: .relaxed).oldValue
                    guard index < bodies.count else { throw CLIError("bench ran out of subject tokens; lower --seconds") }
                    _ = try await Self.exchange(client, url, bodies[index])
                }
                results.append((PhaseResult(name: "token-exchange", concurrency: level, latenciesNanos: latencies, seconds: elapsed), ceiling))
            }
            for level in levels {
                let (latencies, elapsed) = try await runClosedLoop(concurrency: level, duration: phase) { _ in
                    try await BenchCommand.Issue.get(client, server.baseURL + "/healthz")
                }
                results.append((PhaseResult(name: "https-get", concurrency: level, latenciesNanos: latencies, seconds: elapsed), .nan))
            }
            Issue.report(
                results, cores: ProcessInfo.processInfo.activeProcessorCount, seconds: seconds, output: output,
                title: "signet bench exchange",
                ceilingNote: "ceiling: one ES256 verify + one ES256 sign on all cores (swift-crypto, same run)")
        }

        /// Form bodies, each with its own GitHub-shaped ES256 subject token (distinct jti).
        static func subjectTokenBodies(count: Int, key: JWTSigningKey) throws -> [Data] {
            let now = Date()
            return (0..<count).map { _ in
                let claims = JWTClaims(
                    sub: "repo:acme/app:ref:refs/heads/main", aud: [subjectAudience], exp: now.addingTimeInterval(600),
                    iat: now, nbf: now, iss: issuer,
                    extra: [
                        "repository": .string("acme/app"), "repository_owner": .string("acme"),
                        "repository_owner_id": .string("1001"), "ref": .string("refs/heads/main"),
                        "workflow": .string("deploy"), "event_name": .string("push"),
                    ])
                let token = JWTSigner.sign(claims: claims, key: key)
                let form =
                    "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange"
                    + "&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Ajwt"
                    + "&audience=bench-api&subject_token=" + token
                return Data(form.utf8)
            }
        }

        static func exchange(_ client: HTTPClient, _ url: String, _ body: Data) async throws {
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(data: body))
            let response = try await client.execute(request, timeout: .seconds(30))
            let buffer = try await response.body.collect(upTo: 1 << 16)
            guard response.status.code == 200 else {
                throw CLIError("token exchange failed: \(response.status.code) \(String(buffer: buffer))")
            }
        }
    }
}
