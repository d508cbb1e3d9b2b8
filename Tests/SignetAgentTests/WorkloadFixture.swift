import Crypto
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Logging
import SignetCore
import SignetPKI
import Synchronization
import X509

@testable import SignetAgent

#if canImport(Glibc)
import Glibc
#endif

/// A trust domain with a real CA and JWT key, and a NodeAgent whose snapshots the test publishes
/// by hand (the agent is never started: no server is involved).
final class WorkloadFixture: Sendable {
    let directory: String
    let trustDomain: TrustDomain
    let ca: CertificateAuthority
    let jwtKey: JWTSigningKey
    let agent: NodeAgent
    private let version = Mutex<UInt64>(0)

    init() throws {
        directory = try Self.makeDirectory()
        trustDomain = try TrustDomain("example.org")
        ca = try CABootstrap.loadOrCreate(directory: directory + "/ca", settings: CASettings(trustDomain: trustDomain))
        jwtKey = try JWTSigningKey.generate(.es256)
        let configuration = AgentConfiguration(
            serverURL: "https://127.0.0.1:1", trustBundlePath: directory + "/absent.pem",
            socketPath: directory + "/api/agent.sock", dataDirectory: directory + "/agent")
        agent = NodeAgent(configuration: configuration, logger: Logger(label: "test.agent"))
    }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
    }

    var socketPath: String { agent.configuration.socketPath }

    /// A short, world-traversable directory (sockets have a 108-byte path limit; other uids must reach them).
    static func makeDirectory() throws -> String {
        let path = "/tmp/sat-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        chmod(path, 0o755)
        return path
    }

    func entry(_ path: String, _ selectors: [String], id: String? = nil) throws -> RegistrationEntry {
        RegistrationEntry(
            id: id ?? UUID().uuidString.lowercased(), spiffeID: try SPIFFEID("spiffe://example.org/\(path)"),
            selectors: try selectors.map { try Selector($0) }, x509TTL: 3600, jwtTTL: 300, owner: "team-test",
            purpose: "tests", createdBy: "test")
    }

    /// An X.509-SVID for `entry` issued by the fixture's CA, with a fresh P-256 key.
    func svid(for entry: RegistrationEntry) throws -> WorkloadSVID {
        let key = P256.Signing.PrivateKey()
        let issued = try ca.issueX509SVID(
            X509SVIDRequest(spiffeID: entry.spiffeID, publicKey: Certificate.PublicKey(key.publicKey), ttl: 3600))
        return WorkloadSVID(
            entryID: entry.id, spiffeID: entry.spiffeID, chainDER: issued.chainDER, keyPKCS8: Array(key.derRepresentation),
            notBefore: issued.certificate.notValidBefore, notAfter: issued.certificate.notValidAfter,
            entryRevision: entry.revision)
    }

    /// Publishes a snapshot with `entries` and their SVIDs (issued now unless given).
    @discardableResult
    func publish(
        _ entries: [RegistrationEntry], svids given: [WorkloadSVID]? = nil, jwtKeys: [JWTPublicKey]? = nil
    ) throws -> [WorkloadSVID] {
        let svids = try given ?? entries.map { try svid(for: $0) }
        let next = version.withLock { value -> UInt64 in
            value += 1
            return value
        }
        let bundle = TrustBundle(
            trustDomain: trustDomain, x509Authorities: ca.roots, jwtAuthorities: jwtKeys ?? [jwtKey.publicKey],
            sequence: Int64(next), refreshHint: 300)
        let snapshot = try AgentSnapshot(
            version: next, trustDomain: trustDomain,
            entries: Dictionary(entries.map { ($0.id, $0) }, uniquingKeysWith: { $1 }),
            svids: Dictionary(svids.map { ($0.entryID, $0) }, uniquingKeysWith: { $1 }), bundle: bundle)
        agent.publisher.publish(snapshot)
        return svids
    }

    /// Runs the Workload API server on the fixture's socket for the duration of `body`.
    func withServer<R: Sendable>(_ body: () async throws -> R) async throws -> R {
        var logger = Logger(label: "test.workload-api")
        logger.logLevel = .warning
        let server = WorkloadAPIServer(socketPath: socketPath, agent: agent, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            let (ready, signal) = AsyncStream<Void>.makeStream()
            group.addTask {
                defer { signal.finish() }
                try await server.run(whenListening: { signal.yield() })
            }
            for await _ in ready { break }
            guard FileManager.default.fileExists(atPath: socketPath) else {
                try await group.next()
                throw TestFailure("the server stopped before listening")
            }
            let result = try await body()
            group.cancelAll()
            try await group.waitForAll()
            return result
        }
    }

    /// A generated Workload API client on the fixture's socket.
    func withClient<R: Sendable>(
        _ body: (SpiffeWorkloadAPI.Client<HTTP2ClientTransport.Posix>) async throws -> R
    ) async throws -> R {
        try await withGRPCClient(
            transport: try .http2NIOPosix(target: .unixDomainSocket(path: socketPath), transportSecurity: .plaintext)
        ) { client in
            try await body(SpiffeWorkloadAPI.Client(wrapping: client))
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension Metadata {
    /// What every conforming client sends.
    static let workload: Metadata = ["workload.spiffe.io": "true"]
}

extension SpiffeWorkloadAPI.Client {
    /// The first FetchX509SVID message, then cancel: what py-spiffe's one-shot fetch does.
    func firstX509SVID(metadata: Metadata = .workload) async throws -> X509SVIDResponse {
        try await fetchX509SVID(X509SVIDRequest(), metadata: metadata) { response in
            for try await message in response.messages { return message }
            throw TestFailure("FetchX509SVID ended without a message")
        }
    }
}

/// The gRPC status code `body` fails with (nil if it does not fail with an RPCError).
func rpcCode(_ body: () async throws -> some Sendable) async -> RPCError.Code? {
    do {
        _ = try await body()
        return nil
    } catch let error as RPCError {
        return error.code
    } catch {
        return nil
    }
}

/// The gRPC error `body` fails with.
func rpcError(_ body: () async throws -> some Sendable) async -> RPCError? {
    do {
        _ = try await body()
        return nil
    } catch {
        return error as? RPCError
    }
}

/// Tests that start processes under uid 65534 need root and setpriv.
let canSwitchUser = getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")
