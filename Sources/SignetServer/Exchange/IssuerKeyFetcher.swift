import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL
import SignetCore
import SignetPKI
import Synchronization

/// Fetches an OIDC issuer's keys: `{issuer}/.well-known/openid-configuration`, whose `issuer`
/// must equal the rule's issuer byte for byte (OpenID Connect Discovery §4.3, so a document
/// served for another issuer cannot hand over its keys), then its `jwks_uri`.
///
/// Only HTTPS, no redirects, 5 s per request, 256 KiB per body. Server certificates are checked
/// against the system roots plus the `[exchange] ca_bundle` file (private issuers, test issuers).
/// The HTTP client is created on first use and shut down with the server.
final class IssuerKeyFetcher: Sendable {
    static let timeout: TimeAmount = .seconds(5)
    static let maxBodyBytes = 256 * 1024

    private let caBundlePath: String?
    private let client = Mutex<HTTPClient?>(nil)
    private let closed = Mutex(false)

    init(caBundlePath: String?) {
        self.caBundlePath = caBundlePath
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    func fetch(issuer: String) async throws -> JWKSet {
        guard issuer.hasPrefix("https://") else { throw Failure(description: "issuer \(issuer) is not an https:// URL") }
        let base = issuer.hasSuffix("/") ? String(issuer.dropLast()) : issuer
        let discoveryURL = base + "/.well-known/openid-configuration"
        let document = try await get(discoveryURL)
        let object: [String: JSONValue]
        do {
            guard let parsed = try JSONValue.parse(document).objectValue else {
                throw Failure(description: "\(discoveryURL) is not a JSON object")
            }
            object = parsed
        } catch let error as JSONValue.ParseError {
            throw Failure(description: "\(discoveryURL) is not valid JSON: \(error)")
        }
        guard let advertised = object["issuer"]?.stringValue else {
            throw Failure(description: "\(discoveryURL) has no 'issuer'")
        }
        guard advertised.utf8.elementsEqual(issuer.utf8) else {
            throw Failure(description: "\(discoveryURL) names issuer '\(advertised)', not '\(issuer)'")
        }
        guard let jwksURI = object["jwks_uri"]?.stringValue else {
            throw Failure(description: "\(discoveryURL) has no 'jwks_uri'")
        }
        guard jwksURI.hasPrefix("https://") else {
            throw Failure(description: "jwks_uri \(jwksURI) is not an https:// URL")
        }
        let jwks = try await get(jwksURI)
        do {
            return try JWKSet.parse(jwks, mode: .lenient)
        } catch {
            throw Failure(description: "\(jwksURI): \(error.description)")
        }
    }

    private func get(_ url: String) async throws -> [UInt8] {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        request.headers.add(name: "Accept", value: "application/json")
        let response: HTTPClientResponse
        do {
            response = try await httpClient().execute(request, timeout: Self.timeout)
        } catch {
            throw Failure(description: "GET \(url) failed: \(error)")
        }
        guard response.status == .ok else {
            throw Failure(description: "GET \(url) returned HTTP \(response.status.code)")
        }
        if let length = response.headers.first(name: "Content-Length").flatMap(Int.init), length > Self.maxBodyBytes {
            throw Failure(description: "GET \(url): body of \(length) bytes exceeds \(Self.maxBodyBytes)")
        }
        do {
            let body = try await response.body.collect(upTo: Self.maxBodyBytes)
            return Array(buffer: body)
        } catch is NIOTooManyBytesError {
            throw Failure(description: "GET \(url): body exceeds \(Self.maxBodyBytes) bytes")
        } catch {
            throw Failure(description: "GET \(url): reading the body failed: \(error)")
        }
    }

    private func httpClient() throws -> HTTPClient {
        try client.withLock { client in
            if let client { return client }
            guard !closed.withLock({ $0 }) else { throw Failure(description: "server is shutting down") }
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.minimumTLSVersion = .tlsv12
            if let caBundlePath {
                let roots = try NIOSSLCertificate.fromPEMFile(caBundlePath)
                tls.additionalTrustRoots = [.certificates(roots)]
            }
            var configuration = HTTPClient.Configuration(
                tlsConfiguration: tls, redirectConfiguration: .disallow,
                timeout: .init(connect: Self.timeout, read: Self.timeout))
            configuration.httpVersion = .automatic
            // A refused or unreachable peer fails this attempt at once instead of being retried until the
            // deadline: the poll (or the next request after the refetch interval) is the retry.
            configuration.connectionPool.retryConnectionEstablishment = false
            let created = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            client = created
            return created
        }
    }

    /// Shuts the HTTP client down (server shutdown); later fetches fail.
    func shutdown() async {
        closed.withLock { $0 = true }
        let existing = client.withLock { client -> HTTPClient? in
            defer { client = nil }
            return client
        }
        try? await existing?.shutdown()
    }
}
