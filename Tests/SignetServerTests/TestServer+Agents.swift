import AsyncHTTPClient
import Crypto
import Foundation
import NIOSSL
import Testing
import X509
@testable import SignetCore
@testable import SignetPKI
@testable import SignetServer

/// A node agent as the tests drive it: its key, SPIFFE ID, and an mTLS client
/// that presents its SVID.
struct TestAgent {
    let id: String
    let key: P256.Signing.PrivateKey
    let client: HTTPClient

    func shutdown() async {
        try? await client.shutdown()
    }
}

extension TestServer {
    /// A PEM PKCS#10 request for `key`.
    static func csr(_ key: P256.Signing.PrivateKey = P256.Signing.PrivateKey()) throws -> String {
        try CertificateSigningRequest(
            version: .v1, subject: DistinguishedName(), privateKey: .init(key), attributes: .init()
        ).serializeAsPEM().pemString
    }

    /// An HTTPS client trusting this server that presents `chainPEM`/`keyPEM`.
    func client(chainPEM: String, keyPEM: String) throws -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(dataDirectory + "/admin/bundle.pem")
        tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(chainPEM.utf8)).map { .certificate($0) }
        tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem))
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
    }

    /// Creates a join token (optionally for `spiffeID`) and returns the 201 body.
    func joinToken(ttl: Any = "10m", spiffeID: String? = nil) async throws -> [String: Any] {
        var body: [String: Any] = ["ttl": ttl]
        if let spiffeID { body["spiffe_id"] = spiffeID }
        let reply = try await request(admin, .POST, "/v1/join-tokens", json: body)
        try #require(reply.status == 201, "join token: \(String(decoding: reply.body, as: UTF8.self))")
        return reply.json
    }

    /// Creates a join token, attests with it, and returns the agent with a client for its SVID.
    func attestedAgent(spiffeID: String? = nil, token: [String: Any]? = nil) async throws -> TestAgent {
        let token = if let token { token } else { try await joinToken(spiffeID: spiffeID) }
        let key = P256.Signing.PrivateKey()
        let reply = try await request(
            anonymous, .POST, "/agent/v1/attest/join_token", json: ["token": token["token"]!, "csr": try Self.csr(key)] as [String: Any])
        try #require(reply.status == 200, "attest: \(String(decoding: reply.body, as: UTF8.self))")
        let id = try #require(reply.json["spiffe_id"] as? String)
        let chain = try #require(reply.json["certificate_chain"] as? String)
        return TestAgent(id: id, key: key, client: try client(chainPEM: chain, keyPEM: key.pemRepresentation))
    }

    /// Creates an entry and returns its id.
    func entry(_ path: String, parent: String?, selectors: [String] = [], dnsNames: [String] = []) async throws -> String {
        var body: [String: Any] = [
            "spiffe_id": "spiffe://example.org\(path)", "owner": "team", "purpose": "test", "selectors": selectors,
            "dns_names": dnsNames, "x509_ttl": "10m", "jwt_ttl": "2m",
        ]
        if let parent { body["parent_id"] = parent }
        let reply = try await request(admin, .POST, "/v1/entries", json: body)
        try #require(reply.status == 201, "entry: \(String(decoding: reply.body, as: UTF8.self))")
        return try #require(reply.json["id"] as? String)
    }

    /// `GET /agent/v1/sync` for `agent`.
    func sync(_ agent: TestAgent, epoch: String? = nil, since: Int = 0, wait: Int = 0) async throws -> Reply {
        var path = "/agent/v1/sync?since=\(since)&wait=\(wait)"
        if let epoch { path += "&epoch=\(epoch)" }
        return try await request(agent.client, .GET, path)
    }

    /// Events of one action, as `action/outcome` strings in order.
    func events(_ action: String) async throws -> [[String: Any]] {
        try await request(admin, .GET, "/v1/events?action=\(action)").json["events"] as? [[String: Any]] ?? []
    }
}

extension TestServer.Reply {
    var entryIDs: [String] { (json["entries"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }.sorted() }
    var removedIDs: [String] { (json["removed"] as? [String] ?? []).sorted() }
    var text: String { String(decoding: body, as: UTF8.self) }
}

extension TestServer {
    /// Validates a workload SVID chain against the server's bundle with RFC 5280 and the SPIFFE rules.
    func chainValidates(_ chain: [Certificate]) async throws -> Bool {
        let roots = try PEM.certificates(from: String(contentsOfFile: dataDirectory + "/admin/bundle.pem", encoding: .utf8))
        var verifier = Verifier(rootCertificates: CertificateStore(roots)) {
            RFC5280Policy()
            SPIFFEVerifierPolicy(trustDomain: try! TrustDomain("example.org"))
        }
        let result = await verifier.validate(leaf: chain[0], intermediates: CertificateStore(Array(chain.dropFirst())))
        if case .validCertificate = result { return true }
        return false
    }
}

/// A node CA and a node certificate it signed, as an operator's PKI would provide for x509pop.
struct NodePKI {
    let root: Certificate
    let key: P256.Signing.PrivateKey
    let leafDER: [UInt8]
    let chainPEM: String

    init(cn: String, dns: String) throws {
        let caKey = P256.Signing.PrivateKey()
        let caName = try DistinguishedName { CommonName("Node CA \(cn)") }
        let now = Date()
        root = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(caKey.publicKey),
            notValidBefore: now.addingTimeInterval(-60), notValidAfter: now.addingTimeInterval(3600),
            issuer: caName, subject: caName, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try .init {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: .init(caKey.publicKey))
            }, issuerPrivateKey: .init(caKey))
        key = P256.Signing.PrivateKey()
        let leaf = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-60), notValidAfter: now.addingTimeInterval(3600),
            issuer: caName, subject: try DistinguishedName { CommonName(cn) }, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try .init {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                SubjectAlternativeNames([.dnsName(dns)])
            }, issuerPrivateKey: .init(caKey))
        leafDER = try leaf.serializeAsPEM().derBytes
        chainPEM = try PEM.encode([leaf])
    }
}
