import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOSSL

/// A small JSON-over-HTTPS client for the admin API, authenticated with an X.509-SVID.
struct AdminClient {
    let baseURL: String
    let http: HTTPClient

    /// - Parameter authenticate: present the admin certificate (false for public endpoints).
    init(options: ClientOptions, authenticate: Bool = true) throws {
        baseURL = options.resolvedServer
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        guard FileManager.default.fileExists(atPath: options.caPath) else {
            throw CLIError(
                "CA bundle \(options.caPath) not found: start `signet server` (it writes <data-dir>/admin/), or pass --ca and --data-dir")
        }
        tls.trustRoots = .file(options.caPath)
        if authenticate {
            guard FileManager.default.fileExists(atPath: options.certPath),
                FileManager.default.fileExists(atPath: options.keyPath)
            else {
                throw CLIError(
                    "admin credential \(options.certPath) not found: run the CLI next to the server's data directory (--data-dir) or pass --cert and --key")
            }
            do {
                tls.certificateChain = try NIOSSLCertificate.fromPEMFile(options.certPath).map { .certificate($0) }
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: options.keyPath, format: .pem))
            } catch {
                throw CLIError("cannot load \(options.certPath) / \(options.keyPath): \(error)")
            }
        }
        var config = HTTPClient.Configuration(tlsConfiguration: tls)
        config.timeout = .init(connect: .seconds(10), read: .seconds(60))
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
    }

    func shutdown() async {
        try? await http.shutdown()
    }

    /// Sends a request and returns the body, or throws the server's error message.
    func send(_ method: HTTPMethod, _ path: String, json: Data? = nil) async throws -> Data {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: json))
        }
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: .seconds(60))
        } catch {
            throw CLIError("cannot reach \(baseURL): \(error) (is `signet server` running? see --server)")
        }
        let body = try await response.body.collect(upTo: 64 * 1024 * 1024)
        let data = Data(buffer: body)
        guard (200..<300).contains(response.status.code) else {
            if let problem = try? JSONDecoder().decode(ServerProblem.self, from: data) {
                throw CLIError("\(problem.message) (\(response.status.code) \(problem.error))", serverBody: data)
            }
            throw CLIError("server answered \(response.status.code): \(String(decoding: data.prefix(500), as: UTF8.self))")
        }
        return data
    }

    func sendJSON(_ method: HTTPMethod, _ path: String, body: [String: Any]? = nil) async throws -> Data {
        let json = try body.map { try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]) }
        return try await send(method, path, json: json)
    }

    struct ServerProblem: Decodable {
        let error: String
        let message: String
    }
}

/// An error the CLI prints as `error: <message>` before exiting non-zero.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    /// The server's JSON error body when this is an API refusal, for commands that show its details
    /// (e.g. each lint finding of a refused trust rule).
    let serverBody: Data?
    init(_ message: String, serverBody: Data? = nil) {
        description = message
        self.serverBody = serverBody
    }
}

/// Runs `body` with a client and always shuts the client down.
func withAdminClient<T>(_ options: ClientOptions, authenticate: Bool = true, _ body: (AdminClient) async throws -> T)
    async throws -> T
{
    let client = try AdminClient(options: options, authenticate: authenticate)
    do {
        let result = try await body(client)
        await client.shutdown()
        return result
    } catch {
        await client.shutdown()
        throw error
    }
}
