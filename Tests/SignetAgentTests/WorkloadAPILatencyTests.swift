import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import GRPCProtobuf
import Testing

@testable import SignetAgent

#if canImport(Glibc)
import Glibc
#endif

/// Rough latency numbers, printed, not asserted: FetchX509SVID's first message (attestation,
/// matching, response building included) against a bare unary gRPC call over the same kind of
/// socket. Run with `SIGNET_MEASURE=1 swift test --filter WorkloadAPILatencyTests`.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["SIGNET_MEASURE"] != nil, "set SIGNET_MEASURE=1"))
struct WorkloadAPILatencyTests {
    static let echo = MethodDescriptor(fullyQualifiedService: "Bench", method: "Echo")

    /// The baseline: one unary method that returns its request, no interceptor, no stream callback.
    struct EchoService: RegistrableRPCService {
        func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
            router.registerHandler(
                forMethod: WorkloadAPILatencyTests.echo, deserializer: ProtobufDeserializer<X509SVIDRequest>(),
                serializer: ProtobufSerializer<X509SVIDRequest>()
            ) { request, _ in
                let message = try await request.messages.reduce(X509SVIDRequest()) { $1 }
                return StreamingServerResponse(single: ServerResponse(message: message))
            }
        }
    }

    struct Stats: CustomStringConvertible {
        let samples: [Duration]
        let wall: Duration

        func percentile(_ p: Double) -> Double {
            let sorted = samples.sorted()
            return Self.micros(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))])
        }

        static func micros(_ d: Duration) -> Double {
            Double(d.components.seconds) * 1e6 + Double(d.components.attoseconds) / 1e12
        }

        var description: String {
            let rate = Double(samples.count) / (Self.micros(wall) / 1e6)
            return String(
                format: "n=%d p50=%.0fµs p90=%.0fµs p99=%.0fµs max=%.0fµs  %.0f calls/s", samples.count,
                percentile(0.5), percentile(0.9), percentile(0.99), percentile(1), rate)
        }
    }

    /// `clients` connections calling `call` `perClient` times each, all at once (after a warm-up).
    func measure(
        socket: String, clients: Int, perClient: Int, _ call: @escaping @Sendable (GRPCClient<HTTP2ClientTransport.Posix>) async throws -> Void
    ) async throws -> Stats {
        let connections = try (0..<clients).map { _ in
            GRPCClient(transport: try .http2NIOPosix(target: .unixDomainSocket(path: socket), transportSecurity: .plaintext))
        }
        return try await withThrowingTaskGroup(of: Void.self) { group in
            for connection in connections { group.addTask { try await connection.runConnections() } }
            for connection in connections { for _ in 0..<5 { try await call(connection) } }
            let clock = ContinuousClock()
            let start = clock.now
            let samples = try await withThrowingTaskGroup(of: [Duration].self) { calls in
                for connection in connections {
                    calls.addTask {
                        var samples: [Duration] = []
                        for _ in 0..<perClient {
                            let began = clock.now
                            try await call(connection)
                            samples.append(clock.now - began)
                        }
                        return samples
                    }
                }
                return try await calls.reduce(into: []) { $0 += $1 }
            }
            let wall = clock.now - start
            for connection in connections { connection.beginGracefulShutdown() }
            try await group.waitForAll()
            return Stats(samples: samples, wall: wall)
        }
    }

    @Test func firstMessageLatency() async throws {
        let fixture = try WorkloadFixture()
        try fixture.publish([
            try fixture.entry("web", ["unix:uid:\(getuid())"]), try fixture.entry("db", ["unix:uid:\(getuid())"]),
        ])
        let fetch: @Sendable (GRPCClient<HTTP2ClientTransport.Posix>) async throws -> Void = { client in
            _ = try await SpiffeWorkloadAPI.Client(wrapping: client).firstX509SVID()
        }
        try await fixture.withServer {
            // At most 200 cancelled streams per connection in 30 s: NIO's rapid-reset guard closes the connection beyond that.
            print("FetchX509SVID first message, 1 client:   \(try await measure(socket: fixture.socketPath, clients: 1, perClient: 150, fetch))")
            print("FetchX509SVID first message, 50 clients: \(try await measure(socket: fixture.socketPath, clients: 50, perClient: 20, fetch))")
        }

        let socket = fixture.directory + "/bare.sock"
        let server = GRPCServer(
            transport: .http2NIOPosix(address: .unixDomainSocket(path: socket), transportSecurity: .plaintext),
            services: [EchoService()])
        let serving = Task { try await server.serve() }
        _ = try await (server.transport as HTTP2ServerTransport.Posix).listeningAddress
        let echo: @Sendable (GRPCClient<HTTP2ClientTransport.Posix>) async throws -> Void = { client in
            _ = try await client.unary(
                request: ClientRequest(message: X509SVIDRequest()), descriptor: Self.echo,
                serializer: ProtobufSerializer<X509SVIDRequest>(), deserializer: ProtobufDeserializer<X509SVIDRequest>(),
                options: .defaults
            ) { try $0.message }
        }
        print("bare unary echo, 1 client:               \(try await measure(socket: socket, clients: 1, perClient: 150, echo))")
        print("bare unary echo, 50 clients:             \(try await measure(socket: socket, clients: 50, perClient: 20, echo))")
        server.beginGracefulShutdown()
        try await serving.value

        // Attestation alone (digest cached after the first call).
        let attestor = UnixWorkloadAttestor()
        let credentials = PeerCredentials(pid: getpid(), uid: getuid(), gid: getgid())
        _ = try attestor.attest(credentials)
        let clock = ContinuousClock()
        let samples = try (0..<300).map { _ in try clock.measure { _ = try attestor.attest(credentials) } }
        print("UnixWorkloadAttestor.attest (cached digest): \(Stats(samples: samples, wall: samples.reduce(.zero, +)))")
    }
}
