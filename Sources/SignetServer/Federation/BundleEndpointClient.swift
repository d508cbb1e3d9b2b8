import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOSSL
import SignetCore
import SignetPKI
import X509

/// Why a bundle could not be fetched or was refused; the message is shown to admins and stored.
struct BundleFetchError: Error, CustomStringConvertible, Equatable {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// Fetches a federated trust domain's bundle from its SPIFFE bundle endpoint (SPIFFE Federation §5).
///
/// The endpoint is authenticated by the relationship's profile:
/// - `https_web`: Web PKI, the system roots plus `[federation] ca_bundle`, with hostname verification.
/// - `https_spiffe`: only the peer's own bundle is trusted (the configured bootstrap bundle until a
///   fetch succeeds, then the newest fetched one), and the presented leaf must be an X.509-SVID whose
///   URI SAN is exactly the configured endpoint SPIFFE ID; no hostname check.
///
/// The answer is parsed for the trust domain the relationship names, never one derived from the URL or
/// the document, and is refused whole if anything in it is malformed: the caller keeps the previous bundle.
struct BundleEndpointClient: Sendable {
    /// Whole-request limit (connect, handshake, response): a slow peer must not stall polling.
    static let timeout: TimeAmount = .seconds(5)
    /// A bundle is a few KiB; anything near this is not a bundle.
    static let maxBodySize = 1 << 20

    /// `[federation] ca_bundle`: extra PEM roots for `https_web` endpoints.
    let webCABundlePath: String?

    struct Fetched: Sendable {
        let json: [UInt8]
        let bundle: TrustBundle
    }

    /// Fetches and parses the bundle of `relationship.trustDomain`.
    /// - Parameter currentBundle: the newest bundle fetched before (for `https_spiffe`), nil before the first success.
    func fetch(_ relationship: FederationRelationship, currentBundle: TrustBundle?) async throws(BundleFetchError)
        -> Fetched
    {
        let endpoint = try Self.endpoint(relationship.bundleEndpointURL)
        let body: [UInt8]
        switch relationship.profile {
        case .httpsWeb:
            body = try await fetchWeb(endpoint)
        case .httpsSPIFFE(let endpointID):
            let anchors = try Self.spiffeAnchors(relationship, currentBundle: currentBundle)
            body = try await SPIFFEEndpointFetch(
                endpoint: endpoint, anchors: anchors, endpointID: endpointID, timeout: Self.timeout,
                maxBodySize: Self.maxBodySize
            ).run()
        }
        do {
            let bundle = try TrustBundle.parse(json: body, trustDomain: relationship.trustDomain)
            return Fetched(json: body, bundle: bundle)
        } catch {
            throw BundleFetchError("the endpoint's answer is not a valid SPIFFE bundle: \(error.description)")
        }
    }

    /// The trust anchors an `https_spiffe` endpoint must chain to: the newest fetched bundle, else the bootstrap one.
    static func spiffeAnchors(_ relationship: FederationRelationship, currentBundle: TrustBundle?)
        throws(BundleFetchError) -> [Certificate]
    {
        if let currentBundle, !currentBundle.x509Authorities.isEmpty {
            return currentBundle.x509Authorities
        }
        guard let bootstrap = relationship.bootstrapBundle else {
            throw BundleFetchError(
                "https_spiffe needs the peer's bundle to authenticate its endpoint: add the federation again with --bootstrap-bundle")
        }
        do {
            let bundle = try TrustBundle.parse(json: Array(bootstrap.utf8), trustDomain: relationship.trustDomain)
            guard !bundle.x509Authorities.isEmpty else {
                throw BundleFetchError("the bootstrap bundle has no x509-svid authorities to authenticate the endpoint with")
            }
            return bundle.x509Authorities
        } catch let error as BundleFetchError {
            throw error
        } catch {
            throw BundleFetchError("the bootstrap bundle is not a valid SPIFFE bundle: \(error)")
        }
    }

    /// A parsed `https://host[:port]/path` URL.
    struct Endpoint: Sendable {
        let url: String
        let host: String
        let port: Int
        /// Path and query, at least "/".
        let target: String
    }

    /// Refuses anything but an absolute `https://` URL with a host and no user info or fragment.
    static func endpoint(_ text: String) throws(BundleFetchError) -> Endpoint {
        guard let components = URLComponents(string: text), components.scheme?.lowercased() == "https",
            let rawHost = components.host, !rawHost.isEmpty
        else {
            throw BundleFetchError("bundle endpoint must be an https:// URL with a host, got '\(text)'")
        }
        guard components.user == nil, components.password == nil, components.fragment == nil else {
            throw BundleFetchError("bundle endpoint URL must not contain user info or a fragment")
        }
        let host = rawHost.hasPrefix("[") && rawHost.hasSuffix("]") ? String(rawHost.dropFirst().dropLast()) : rawHost
        var target = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        if let query = components.percentEncodedQuery { target += "?" + query }
        return Endpoint(url: text, host: host, port: components.port ?? 443, target: target)
    }

    // MARK: https_web

    private func fetchWeb(_ endpoint: Endpoint) async throws(BundleFetchError) -> [UInt8] {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        if let webCABundlePath { tls.additionalTrustRoots = [.file(webCABundlePath)] }
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls, redirectConfiguration: .disallow,
            timeout: .init(connect: Self.timeout, read: Self.timeout))
        configuration.httpVersion = .http1Only
        // A refused or unreachable peer fails this attempt at once instead of being retried until the
        // deadline: the poll (or the next request after the refetch interval) is the retry.
        configuration.connectionPool.retryConnectionEstablishment = false
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        defer { Task { try? await client.shutdown() } }
        var request = HTTPClientRequest(url: endpoint.url)
        request.method = .GET
        request.headers.add(name: "Accept", value: "application/json")
        do {
            let response = try await client.execute(request, timeout: Self.timeout)
            guard response.status == .ok else {
                throw BundleFetchError("the endpoint answered HTTP \(response.status.code), expected 200")
            }
            let buffer = try await response.body.collect(upTo: Self.maxBodySize)
            return Array(buffer: buffer)
        } catch let error as BundleFetchError {
            throw error
        } catch is NIOTooManyBytesError {
            throw BundleFetchError("the endpoint's answer is larger than \(Self.maxBodySize) bytes")
        } catch {
            throw BundleFetchError("cannot fetch \(endpoint.url): \(Self.describe(error))")
        }
    }

    /// A short, readable reason for a transport error.
    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            if error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
                return "timed out after \(timeout.nanoseconds / 1_000_000_000)s"
            }
        }
        if error is NIOSSLError || error is NIOSSLExtraError { return "TLS failed: \(error)" }
        return "\(error)"
    }
}
