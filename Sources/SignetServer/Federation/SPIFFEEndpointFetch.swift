import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import SignetCore
import SignetPKI
import Synchronization
import X509

/// One GET of an `https_spiffe` bundle endpoint.
///
/// AsyncHTTPClient cannot check a server certificate's URI SAN, and the profile's whole point is
/// that only the configured SPIFFE ID may serve the bundle (any other SVID of that domain must be
/// refused), so this is a plain NIO HTTP/1.1 client whose TLS verification is replaced by our own:
/// the presented chain must validate (RFC 5280, X509-SVID rules) against the peer's bundle alone,
/// and the leaf's SPIFFE ID must equal `endpointID`.
struct SPIFFEEndpointFetch: Sendable {
    let endpoint: BundleEndpointClient.Endpoint
    let anchors: [Certificate]
    let endpointID: SPIFFEID
    let timeout: TimeAmount
    let maxBodySize: Int

    func run() async throws(BundleFetchError) -> [UInt8] {
        let refusal = Refusal()
        do {
            return try await withThrowingTaskGroup(of: [UInt8].self) { group in
                group.addTask { try await self.exchange(refusal: refusal) }
                group.addTask {
                    try await Task.sleep(for: .nanoseconds(timeout.nanoseconds))
                    throw BundleFetchError("timed out after \(timeout.nanoseconds / 1_000_000_000)s")
                }
                defer { group.cancelAll() }
                guard let body = try await group.next() else { throw BundleFetchError("no answer") }
                return body
            }
        } catch let error as BundleFetchError {
            throw error
        } catch {
            if let reason = refusal.reason.withLock({ $0 }) {
                throw BundleFetchError("the endpoint's certificate was refused: \(reason)")
            }
            throw BundleFetchError("cannot fetch \(endpoint.url): \(BundleEndpointClient.describe(error))")
        }
    }

    /// Why the verification callback refused the server's certificate (read after the handshake failed).
    final class Refusal: Sendable {
        let reason = Mutex<String?>(nil)
    }

    private func exchange(refusal: Refusal) async throws -> [UInt8] {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        // Verification is fully replaced by the callback below (it must not be `.none`, or the callback is skipped).
        tls.certificateVerification = .noHostnameVerification
        tls.applicationProtocols = ["http/1.1"]
        let context = try NIOSSLContext(configuration: tls)
        let anchors = anchors
        let endpointID = endpointID
        // SNI only for names: NIOSSL refuses an IP address there.
        let sniHost = Self.isIPAddress(endpoint.host) ? nil : endpoint.host
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(timeout)
            .connect(host: endpoint.host, port: endpoint.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = try NIOSSLClientHandler(
                        context: context, serverHostname: sniHost,
                        customVerificationCallback: { certificates, promise in
                            let ders = certificates.map { try? $0.toDERBytes() }
                            promise.completeWithTask {
                                if let reason = await Self.verify(ders, anchors: anchors, endpointID: endpointID) {
                                    refusal.reason.withLock { $0 = reason }
                                    return .failed
                                }
                                return .certificateVerified
                            }
                        })
                    try channel.pipeline.syncOperations.addHandler(handler)
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(
                        wrappingChannelSynchronously: channel)
                }
            }
        return try await withTaskCancellationHandler {
            try await channel.executeThenClose { inbound, outbound in
                var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: endpoint.target)
                let hostHeader = endpoint.host.contains(":") ? "[\(endpoint.host)]" : endpoint.host
                head.headers.add(name: "Host", value: endpoint.port == 443 ? hostHeader : "\(hostHeader):\(endpoint.port)")
                head.headers.add(name: "Accept", value: "application/json")
                head.headers.add(name: "Connection", value: "close")
                try await outbound.write(HTTPClientRequestPart.head(head))
                try await outbound.write(HTTPClientRequestPart.end(nil))
                var status: HTTPResponseStatus?
                var body: [UInt8] = []
                loop: for try await part in inbound {
                    switch part {
                    case .head(let response):
                        status = response.status
                    case .body(let buffer):
                        guard body.count + buffer.readableBytes <= maxBodySize else {
                            throw BundleFetchError("the endpoint's answer is larger than \(maxBodySize) bytes")
                        }
                        body.append(contentsOf: buffer.readableBytesView)
                    case .end:
                        break loop
                    }
                }
                guard let status else { throw BundleFetchError("the endpoint closed the connection without an answer") }
                guard status == .ok else { throw BundleFetchError("the endpoint answered HTTP \(status.code), expected 200") }
                return body
            }
        } onCancel: {
            channel.channel.close(promise: nil)
        }
    }

    /// nil when `ders` (leaf first) is an X.509-SVID for exactly `endpointID` chaining to `anchors`; else why not.
    static func verify(_ ders: [[UInt8]?], anchors: [Certificate], endpointID: SPIFFEID) async -> String? {
        let certificates: [Certificate]
        do {
            certificates = try ders.map { der in
                guard let der else { throw BundleFetchError("unreadable certificate") }
                return try Certificate(derEncoded: der)
            }
        } catch {
            return "the presented certificate chain is not valid DER"
        }
        guard let leaf = certificates.first else { return "no certificate was presented" }
        switch SPIFFEVerifierPolicy.spiffeID(of: leaf) {
        case .failure(let failure):
            return "not an X.509-SVID: \(failure.description)"
        case .success(let id) where id != endpointID:
            return "it belongs to \(id), but the endpoint SPIFFE ID is \(endpointID)"
        case .success:
            break
        }
        var verifier = Verifier(rootCertificates: CertificateStore(anchors)) {
            RFC5280Policy()
            SPIFFEVerifierPolicy(trustDomain: endpointID.trustDomain)
        }
        let result = await verifier.validate(leaf: leaf, intermediates: CertificateStore(Array(certificates.dropFirst())))
        guard case .validCertificate = result else {
            var reason = "it does not chain to the peer's trust bundle"
            if case .couldNotValidate(let failures) = result, let first = failures.first {
                reason += " (\(first.policyFailureReason))"
            }
            return reason
        }
        return nil
    }

    static func isIPAddress(_ host: String) -> Bool {
        (try? SocketAddress(ipAddress: host, port: 0)) != nil
    }
}
