import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import NIOSSL
import NIOHTTP1
import SignetCore
import SignetPKI
@testable import SignetServer

/// A Signet server running in the test process on an ephemeral loopback port with a
/// temporary data directory, and HTTPS clients for it (admin, anonymous, or any SVID).
final class TestServer: Sendable {
    let dataDirectory: String
    let port: Int
    let task: Task<Void, any Error>
    let admin: HTTPClient
    let anonymous: HTTPClient

    var baseURL: String { "https://localhost:\(port)" }

    static func start(configure: (inout ServerConfiguration) -> Void = { _ in }, dataDirectory: String? = nil) async throws
        -> TestServer
    {
        let dir = dataDirectory
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("signet-srv-\(UUID().uuidString)").path
        var config = ServerConfiguration(trustDomain: try TrustDomain("example.org"))
        config.dataDirectory = dir
        config.listenPort = 0
        configure(&config)
        var logger = Logger(label: "test-server")
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
            throw CLIFailure("server exited before listening")
        }
        return TestServer(
            dataDirectory: dir, port: port, task: task,
            admin: try client(dir: dir, cert: dir + "/admin/admin.pem", key: dir + "/admin/admin.key"),
            anonymous: try client(dir: dir, cert: nil, key: nil))
    }

    private init(dataDirectory: String, port: Int, task: Task<Void, any Error>, admin: HTTPClient, anonymous: HTTPClient) {
        self.dataDirectory = dataDirectory
        self.port = port
        self.task = task
        self.admin = admin
        self.anonymous = anonymous
    }

    static func client(dir: String, cert: String?, key: String?) throws -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(dir + "/admin/bundle.pem")
        if let cert, let key {
            tls.certificateChain = try NIOSSLCertificate.fromPEMFile(cert).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
        }
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
    }

    func stop() async throws {
        try await admin.shutdown()
        try await anonymous.shutdown()
        task.cancel()
        _ = try? await task.value
    }

    struct Reply {
        let status: UInt
        let body: Data
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
    }

    func request(_ client: HTTPClient, _ method: NIOHTTP1.HTTPMethod, _ path: String, json: Any? = nil, raw: Data? = nil)
        async throws -> Reply
    {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: json)))
        } else if let raw {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: raw))
        }
        let response = try await client.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 8 << 20)
        return Reply(status: response.status.code, body: Data(buffer: body))
    }
}

struct CLIFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
