import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOSSL
import SignetCore
import SignetPKI
import Synchronization

/// The agent's HTTPS connection to the server's `/agent/v1` API.
///
/// Authenticated with the agent's own X.509-SVID. The HTTP client is rebuilt when
/// the SVID is renewed or the trust bundle changes, because NIOSSL configurations
/// are fixed at creation; requests in flight finish on the old client.
final class ServerClient: Sendable {
    let baseURL: String
    private let client: Mutex<HTTPClient>

    struct Failure: Error, CustomStringConvertible {
        let status: UInt?
        let message: String
        var description: String { status.map { "server answered \($0): \(message)" } ?? message }
        /// 401/403: the server refuses this agent (evicted, unknown); retrying the same call will not help.
        var isRefusal: Bool { status == 401 || status == 403 }
    }

    init(baseURL: String, trustRootsPEM: String, identity: AgentIdentity?) throws {
        self.baseURL = baseURL
        client = Mutex(try Self.makeClient(trustRootsPEM: trustRootsPEM, identity: identity))
    }

    func reconfigure(trustRootsPEM: String, identity: AgentIdentity?) throws {
        let fresh = try Self.makeClient(trustRootsPEM: trustRootsPEM, identity: identity)
        let old = client.withLock { current in
            let old = current
            current = fresh
            return old
        }
        Task { try? await old.shutdown() }
    }

    func shutdown() async {
        let current = client.withLock { $0 }
        try? await current.shutdown()
    }

    private static func makeClient(trustRootsPEM: String, identity: AgentIdentity?) throws -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(trustRootsPEM.utf8)))
        if let identity {
            tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(identity.chainPEM.utf8)).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(identity.keyPEM.utf8), format: .pem))
        }
        var config = HTTPClient.Configuration(tlsConfiguration: tls)
        config.timeout = .init(connect: .seconds(5), read: .seconds(60))
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
    }

    /// POSTs JSON (or GETs when `body` is nil) and decodes the JSON answer.
    func call<Response: Decodable>(
        _ method: HTTPMethod, _ path: String, body: (any Encodable)? = nil, timeout: TimeAmount = .seconds(30),
        as: Response.Type
    ) async throws -> Response {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: try Self.encoder.encode(body)))
        }
        let http = client.withLock { $0 }
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: timeout)
        } catch {
            if Task.isCancelled || error is CancellationError { throw CancellationError() }
            throw Failure(status: nil, message: "cannot reach \(baseURL): \(error)")
        }
        let buffer = try await response.body.collect(upTo: 64 << 20)
        let data = Data(buffer: buffer)
        guard (200..<300).contains(response.status.code) else {
            let message = (try? JSONDecoder().decode(Problem.self, from: data))?.message
                ?? String(decoding: data.prefix(300), as: UTF8.self)
            throw Failure(status: response.status.code, message: message)
        }
        if Response.self == Empty.self { return Empty() as! Response }
        return try Self.decoder.decode(Response.self, from: data)
    }

    struct Problem: Decodable { let message: String }
    struct Empty: Decodable {}

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .iso8601
        return e
    }()
    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        return d
    }()
}

// MARK: - The /agent/v1 wire types

struct IssuedSVIDResponse: Decodable {
    let spiffeID: String
    let certificateChain: String
    let bundle: String?
    let notAfter: Date?
    enum CodingKeys: String, CodingKey {
        case spiffeID = "spiffe_id"
        case certificateChain = "certificate_chain"
        case bundle
        case notAfter = "not_after"
    }
}

struct SyncResponse: Decodable {
    let epoch: String
    let revision: Int
    let full: Bool
    let entries: [RegistrationEntry]
    let removed: [String]
    let bundle: JSONValue
    let bundleSequence: Int64
    /// SPIFFE bundle JSON (text) per federated trust domain name, for the entries' `federates_with`;
    /// the complete set every time (absent from older servers: none).
    let federatedBundles: [String: String]?
    enum CodingKeys: String, CodingKey {
        case epoch, revision, full, entries, removed, bundle
        case bundleSequence = "bundle_sequence"
        case federatedBundles = "federated_bundles"
    }
}

struct SVIDBatchRequest: Encodable {
    struct Item: Encodable {
        let entryID: String
        let csr: String
        enum CodingKeys: String, CodingKey {
            case entryID = "entry_id"
            case csr
        }
    }
    let requests: [Item]
}

struct SVIDBatchResponse: Decodable {
    struct Item: Decodable {
        let entryID: String
        let spiffeID: String
        let certificateChain: String
        enum CodingKeys: String, CodingKey {
            case entryID = "entry_id"
            case spiffeID = "spiffe_id"
            case certificateChain = "certificate_chain"
        }
    }
    struct Failure: Decodable {
        let entryID: String
        let message: String
        enum CodingKeys: String, CodingKey {
            case entryID = "entry_id"
            case message
        }
    }
    let svids: [Item]
    let errors: [Failure]?
}

struct JWTRequest: Encodable {
    let entryID: String
    let audience: [String]
    enum CodingKeys: String, CodingKey {
        case entryID = "entry_id"
        case audience
    }
}

struct JWTResponse: Decodable {
    let token: String
    let spiffeID: String
    let expiresAt: Date
    enum CodingKeys: String, CodingKey {
        case token
        case spiffeID = "spiffe_id"
        case expiresAt = "expires_at"
    }
}

struct AgentEventBatch: Encodable {
    struct Event: Encodable {
        let action: String
        let subject: String
        let outcome: String
        let reason: String?
        let details: [String: String]
    }
    let events: [Event]
}
