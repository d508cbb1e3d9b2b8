import Foundation
import GRPCCore
import NIOCore
import NIOHPACK
import NIOHTTP2
import NIOPosix
import SignetCore

/// Carries each stream's kernel-attested caller from the socket to the gRPC handlers.
///
/// gRPC handlers only see request metadata (`ServerContext.remotePeer` is just `unix:/path`),
/// so the transport's `onAcceptHTTP2Stream` callback reads the connection's SO_PEERCRED, attests
/// the process at once (before the stream is even activated, so PID reuse has the smallest
/// window and the pidfd check closes it), and puts a handler first in the stream's pipeline.
/// That handler removes every `x-signet-peer-*` header the client sent and adds the trusted
/// ones, with a random per-server seal, to the first HEADERS frame.
struct TrustedPeerHeaders: Sendable {
    static let prefix = "x-signet-peer-"
    static let seal = "x-signet-peer-seal"
    static let pid = "x-signet-peer-pid"
    static let uid = "x-signet-peer-uid"
    static let gid = "x-signet-peer-gid"
    /// Newline-separated selectors (a selector never contains a newline), base64 as gRPC binary metadata.
    static let selectors = "x-signet-peer-selectors-bin"
    static let failure = "x-signet-peer-error-bin"

    /// 128 random bits, fixed for the server's lifetime and never sent to clients.
    let sealValue: String

    init() {
        var generator = SystemRandomNumberGenerator()
        sealValue = String(generator.next() as UInt64, radix: 16) + "." + String(generator.next() as UInt64, radix: 16)
    }

    // MARK: Encoding

    func fields(for peer: WorkloadPeer) -> [(name: String, value: String)] {
        var fields: [(String, String)] = [(Self.seal, sealValue)]
        if let credentials = peer.credentials {
            fields += [
                (Self.pid, String(credentials.pid)), (Self.uid, String(credentials.uid)),
                (Self.gid, String(credentials.gid)),
            ]
        }
        switch peer.attestation {
        case .success(let selectors):
            let joined = selectors.map(\.description).joined(separator: "\n")
            fields.append((Self.selectors, Data(joined.utf8).base64EncodedString()))
        case .failure(let error):
            fields.append((Self.failure, Data(error.message.utf8).base64EncodedString()))
        }
        return fields
    }

    /// The peer the handler recorded, or nil when the metadata does not carry this server's seal.
    func peer(from metadata: Metadata) -> WorkloadPeer? {
        guard Self.single(metadata[stringValues: Self.seal]) == sealValue else { return nil }
        var credentials: PeerCredentials?
        if let pid = Self.single(metadata[stringValues: Self.pid]).flatMap({ Int32($0) }),
            let uid = Self.single(metadata[stringValues: Self.uid]).flatMap({ UInt32($0) }),
            let gid = Self.single(metadata[stringValues: Self.gid]).flatMap({ UInt32($0) })
        {
            credentials = PeerCredentials(pid: pid, uid: uid, gid: gid)
        }
        if let failure = Self.single(metadata[binaryValues: Self.failure]) {
            return WorkloadPeer(
                credentials: credentials, attestation: .failure(.init(String(decoding: failure, as: UTF8.self))))
        }
        guard let encoded = Self.single(metadata[binaryValues: Self.selectors]) else { return nil }
        let selectors = encoded.split(separator: UInt8(ascii: "\n")).compactMap {
            try? Selector(String(decoding: $0, as: UTF8.self))
        }
        return WorkloadPeer(credentials: credentials, attestation: .success(selectors))
    }

    static func strip(_ metadata: inout Metadata) {
        metadata.removeAll { key, _ in isPeerHeader(key) }
    }

    /// Case-insensitive (HTTP/2 requires lowercase names, but a lenient peer must not slip one past).
    static func isPeerHeader(_ name: String) -> Bool {
        var characters = name.utf8.makeIterator()
        for expected in prefix.utf8 {
            guard let byte = characters.next() else { return false }
            let lowered = (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
            guard lowered == expected else { return false }
        }
        return true
    }

    /// The value when there is exactly one: a repeated trusted header means something is wrong.
    private static func single<S: Sequence>(_ values: S) -> S.Element? {
        var iterator = values.makeIterator()
        guard let first = iterator.next(), iterator.next() == nil else { return nil }
        return first
    }

    // MARK: The stream callback

    /// The transport's `onAcceptHTTP2Stream`: identify and attest the caller, then install the
    /// header handler. Attestation runs on a thread pool (it reads files and may hash a large
    /// executable); the stream stays inactive, its frames buffered, until it is done. Never fails
    /// the stream: an attestation failure travels in the headers so the RPC can answer with a
    /// clear PermissionDenied (and ValidateJWTSVID, which needs no identity, still works).
    func streamInitializer(
        attestor: UnixWorkloadAttestor, threadPool: NIOThreadPool = .singleton
    ) -> @Sendable (any Channel) -> EventLoopFuture<Void> {
        { stream in
            let eventLoop = stream.eventLoop
            let peer: EventLoopFuture<WorkloadPeer>
            if let connection = stream.parent {
                peer = PeerCredentials.read(from: connection).flatMap { connected in
                    threadPool.runIfActive(eventLoop: eventLoop) {
                        WorkloadPeer(
                            credentials: connected.credentials,
                            attestation: Result { () throws(WorkloadAttestationError) in
                                try attestor.attest(connected.credentials, process: connected.process)
                            })
                    }
                }
            } else {
                peer = eventLoop.makeFailedFuture(PeerCredentialsError.notAUnixSocket)
            }
            return peer.recover { error in
                WorkloadPeer(credentials: nil, attestation: .failure(.init("cannot identify the caller: \(error)")))
            }.flatMapThrowing { peer in
                try stream.pipeline.syncOperations.addHandler(
                    TrustedPeerHeaderHandler(fields: fields(for: peer)), position: .first)
            }
        }
    }
}

/// First handler of every Workload API stream: strips client-sent `x-signet-peer-*` headers
/// from every HEADERS frame (requests and trailers) and adds the trusted ones to the first.
final class TrustedPeerHeaderHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias InboundOut = HTTP2Frame.FramePayload

    private let fields: [(name: String, value: String)]
    private var injected = false

    init(fields: [(name: String, value: String)]) {
        self.fields = fields
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .headers(var headers) = unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        var block = HPACKHeaders()
        block.reserveCapacity(headers.headers.count + fields.count)
        for header in headers.headers where !TrustedPeerHeaders.isPeerHeader(header.name) {
            block.add(name: header.name, value: header.value, indexing: header.indexable)
        }
        if !injected {
            injected = true
            for field in fields { block.add(name: field.name, value: field.value, indexing: .neverIndexed) }
        }
        headers.headers = block
        context.fireChannelRead(wrapInboundOut(.headers(headers)))
    }
}
