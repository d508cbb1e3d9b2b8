import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a completed handshake showed: the chain exactly as the server sent it (leaf first, DER).
struct TLSHandshakeResult: Sendable {
    var chain: [[UInt8]]
    var tlsVersion: String?
}

/// Why an endpoint could not be inspected. ``code`` is stable for machine-readable output.
public enum TLSProbeFailure: Error, Hashable, Sendable, CustomStringConvertible {
    case connectionRefused
    case timedOut(seconds: Double)
    case notTLS(String)
    case unreachable(String)
    case closedDuringHandshake
    case other(String)

    public var code: String {
        switch self {
        case .connectionRefused: "connection-refused"
        case .timedOut: "timeout"
        case .notTLS: "not-tls"
        case .unreachable: "unreachable"
        case .closedDuringHandshake: "closed"
        case .other: "error"
        }
    }

    public var description: String {
        switch self {
        case .connectionRefused: "connection refused"
        case .timedOut(let seconds): "timed out after \(seconds.formatted()) s (connect and handshake)"
        case .notTLS(let detail): "not TLS: \(detail)"
        case .unreachable(let detail): "unreachable: \(detail)"
        case .closedDuringHandshake: "the server closed the connection during the handshake"
        case .other(let detail): detail
        }
    }
}

private extension Double {
    func formatted() -> String { self == rounded() ? String(Int(self)) : String(self) }
}

/// Connects, completes one TLS client handshake, captures the presented chain and closes.
///
/// Certificate verification is deliberately replaced by a callback that accepts anything: the
/// scanner must see expired, self-signed and mismatched chains to report them, so trust is judged
/// afterwards by ``TLSChainEvaluator``, never by the handshake. No application data is sent.
struct TLSHandshaker: Sendable {
    let group: any EventLoopGroup
    let context: NIOSSLContext

    init(group: any EventLoopGroup) throws {
        self.group = group
        var configuration = TLSConfiguration.makeClientConfiguration()
        // Not .none: with .none BoringSSL never calls the custom callback, so the chain is not captured.
        configuration.certificateVerification = .noHostnameVerification
        configuration.minimumTLSVersion = .tlsv1
        context = try NIOSSLContext(configuration: configuration)
    }

    func handshake(_ target: TLSTarget, serverName: String?, timeout: Duration) async -> Result<TLSHandshakeResult, TLSProbeFailure> {
        let eventLoop = group.next()
        let promise = eventLoop.makePromise(of: TLSHandshakeResult.self)
        let context = self.context
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(TimeAmount(timeout))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let capture = ChainCapture()
                    let handler = try NIOSSLClientHandler(context: context, serverHostname: serverName) { certificates, verified in
                        capture.chain = certificates.compactMap { try? $0.toDERBytes() }
                        verified.succeed(.certificateVerified)
                    }
                    try channel.pipeline.syncOperations.addHandler(handler)
                    try channel.pipeline.syncOperations.addHandler(HandshakeWatcher(promise: promise, capture: capture))
                }
            }
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        let deadline = eventLoop.scheduleTask(in: TimeAmount(timeout)) {
            promise.fail(TLSProbeFailure.timedOut(seconds: seconds))
        }
        let connected = bootstrap.connect(host: target.host, port: target.port)
        connected.whenFailure { promise.fail($0) }
        promise.futureResult.whenComplete { _ in
            deadline.cancel()
            connected.whenSuccess { $0.close(promise: nil) }
        }
        do {
            return .success(try await promise.futureResult.get())
        } catch let failure as TLSProbeFailure {
            return .failure(failure)
        } catch {
            return .failure(Self.classify(error, seconds: seconds))
        }
    }

    /// Maps NIO and BoringSSL errors to the few outcomes an operator acts on.
    static func classify(_ error: any Error, seconds: Double) -> TLSProbeFailure {
        if let connection = error as? NIOConnectionError {
            if let first = connection.connectionErrors.first?.error { return classify(first, seconds: seconds) }
            if let dns = connection.dnsAAAAError ?? connection.dnsAError {
                return .unreachable("cannot resolve \(connection.host): \(dns)")
            }
            return .unreachable("cannot resolve \(connection.host)")
        }
        if let io = error as? IOError {
            switch io.errnoCode {
            case ECONNREFUSED: return .connectionRefused
            case ETIMEDOUT: return .timedOut(seconds: seconds)
            default: return .unreachable(String(describing: io))
            }
        }
        if let channel = error as? ChannelError {
            switch channel {
            case .connectTimeout: return .timedOut(seconds: seconds)
            case .eof, .ioOnClosedChannel, .alreadyClosed: return .closedDuringHandshake
            default: return .other(String(describing: channel))
            }
        }
        if let ssl = error as? NIOSSLError {
            switch ssl {
            case .uncleanShutdown: return .closedDuringHandshake
            case .handshakeFailed(let inner):
                let text = String(describing: inner)
                if text.contains("WRONG_VERSION_NUMBER") || text.contains("PACKET_LENGTH_TOO_LONG")
                    || text.contains("HTTP_REQUEST") || text.contains("UNEXPECTED_RECORD")
                {
                    return .notTLS("the server did not answer with a TLS handshake")
                }
                return .other("TLS handshake failed: \(text)")
            default: return .other("TLS error: \(ssl)")
            }
        }
        if let boring = error as? BoringSSLError {
            return .other("TLS error: \(boring)")
        }
        if let extra = error as? NIOSSLExtraError {
            return .other("TLS error: \(extra)")
        }
        return .other(String(describing: error))
    }
}

/// The chain seen by the verification callback, read once the handshake completes. Touched only on
/// the channel's event loop (the callback and the handler both run there).
private final class ChainCapture {
    var chain: [[UInt8]] = []
}

/// Completes the probe's promise on handshake completion, error or close, whichever comes first.
private final class HandshakeWatcher: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    let promise: EventLoopPromise<TLSHandshakeResult>
    let capture: ChainCapture

    init(promise: EventLoopPromise<TLSHandshakeResult>, capture: ChainCapture) {
        self.promise = promise
        self.capture = capture
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event {
            let version = try? context.channel.pipeline.syncOperations.handler(type: NIOSSLClientHandler.self).tlsVersion
            promise.succeed(TLSHandshakeResult(chain: capture.chain, tlsVersion: version.flatMap { $0 }.map(Self.name)))
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(ChannelError.eof)
        context.fireChannelInactive()
    }

    static func name(_ version: TLSVersion) -> String {
        switch version {
        case .tlsv1: "TLSv1.0"
        case .tlsv11: "TLSv1.1"
        case .tlsv12: "TLSv1.2"
        case .tlsv13: "TLSv1.3"
        }
    }
}
