import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOSSL
import SignetCore
import SignetServer

/// A Signet server started inside the benchmark process on an ephemeral loopback port with a
/// temporary data directory, plus an admin mTLS client for it.
struct BenchServer {
    let dataDirectory: String
    let port: Int
    let task: Task<Void, any Error>
    let admin: HTTPClient

    var baseURL: String { "https://localhost:\(port)" }

    static func start(
        trustDomain: String = "bench.signet.test", connections: Int = 64, durability: String = "full",
        dataDirectory: String? = nil
    ) async throws -> BenchServer {
        let dataDir =
            dataDirectory
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("signet-bench-\(UUID().uuidString)").path
        var config = ServerConfiguration(trustDomain: try TrustDomain(trustDomain))
        config.dataDirectory = dataDir
        config.listenPort = 0
        config.logLevel = "error"
        config.storeDurability = durability
        var logger = Logger(label: "signet-bench")
        logger.logLevel = .critical
        let (stream, continuation) = AsyncStream<Int>.makeStream()
        let finalConfig = config
        let task = Task {
            defer { continuation.finish() }
            try await SignetServer.run(configuration: finalConfig, logger: logger) { continuation.yield($0) }
        }
        var iterator = stream.makeAsyncIterator()
        guard let port = await iterator.next() else {
            _ = try await task.value
            throw CLIError("bench server did not start")
        }
        let admin = try makeClient(
            caPath: dataDir + "/admin/bundle.pem", certPath: dataDir + "/admin/admin.pem",
            keyPath: dataDir + "/admin/admin.key", connections: connections)
        return BenchServer(dataDirectory: dataDir, port: port, task: task, admin: admin)
    }

    func stop() async {
        try? await admin.shutdown()
        task.cancel()
        _ = try? await task.value
        try? FileManager.default.removeItem(atPath: dataDirectory)
    }

    static func makeClient(caPath: String, certPath: String?, keyPath: String?, connections: Int) throws -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(caPath)
        if let certPath, let keyPath {
            tls.certificateChain = try NIOSSLCertificate.fromPEMFile(certPath).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: keyPath, format: .pem))
        }
        var config = HTTPClient.Configuration(tlsConfiguration: tls)
        config.connectionPool = .init(idleTimeout: .seconds(120), concurrentHTTP1ConnectionsPerHostSoftLimit: max(8, connections))
        config.timeout = .init(connect: .seconds(10), read: .seconds(90))
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
    }

    /// POSTs JSON and returns the decoded object, failing unless the status is `expect`.
    func post(_ path: String, _ body: [String: Any], expect: UInt = 200, client: HTTPClient? = nil) async throws -> [String: Any] {
        let data = try await Self.send(client ?? admin, .POST, baseURL + path, try JSONSerialization.data(withJSONObject: body), expect: expect)
        return (try JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }

    static func send(_ client: HTTPClient, _ method: HTTPMethod, _ url: String, _ body: Data?, expect: UInt = 200) async throws -> Data {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: body))
        }
        let response = try await client.execute(request, timeout: .seconds(90))
        let buffer = try await response.body.collect(upTo: 64 << 20)
        guard response.status.code == expect else {
            throw CLIError("\(method) \(url) failed: \(response.status.code) \(String(buffer: buffer).prefix(300))")
        }
        return Data(buffer: buffer)
    }
}
