import Foundation
import NIOCore
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Logging
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The agent's Workload API endpoint: gRPC (HTTP/2, no TLS) on a Unix socket, with callers
/// identified by kernel peer credentials (SPIFFE Workload Endpoint standard).
///
/// ```swift
/// let server = WorkloadAPIServer(socketPath: configuration.socketPath, agent: agent, logger: logger)
/// try await server.run()   // until the task is cancelled
/// ```
public final class WorkloadAPIServer: Sendable {
    public let socketPath: String
    let agent: NodeAgent
    let logger: Logger
    let attestor: UnixWorkloadAttestor

    public init(socketPath: String, agent: NodeAgent, logger: Logger, attestor: UnixWorkloadAttestor = UnixWorkloadAttestor()) {
        self.socketPath = socketPath
        self.agent = agent
        self.logger = logger
        self.attestor = attestor
    }

    /// Serves until the calling task is cancelled, then removes the socket.
    public func run() async throws {
        try await run(whenListening: {})
    }

    /// As ``run()``, calling `whenListening` once the socket accepts connections from any user.
    ///
    /// The gRPC server runs in an unstructured task and is stopped gracefully (open streams are
    /// ended first), never by cancelling it: cancelling NIO's serving task while a new connection
    /// is being accepted traps ("Deinited NIOAsyncWriter without calling finish()", swift-nio #3481).
    public func run(whenListening: @Sendable () async -> Void) async throws {
        try prepareSocketPath()
        let headers = TrustedPeerHeaders()
        let streamInitializer = headers.streamInitializer(attestor: attestor)
        let transport = HTTP2ServerTransport.Posix(
            address: .unixDomainSocket(path: socketPath), transportSecurity: .plaintext,
            config: .defaults { config in
                config.channelDebuggingCallbacks.onAcceptHTTP2Stream = streamInitializer
                config.channelDebuggingCallbacks.onBindTCPListener = Self.raiseListenBacklog
            })
        let service = WorkloadAPIService(agent: agent, logger: logger)
        let server = GRPCServer(
            transport: transport, services: [service], interceptors: [WorkloadPeerInterceptor(headers: headers)])
        let serving = Task { try await server.serve() }
        let stop: @Sendable () -> Void = {
            service.closeStreams()
            server.beginGracefulShutdown()
            // A unary call stuck on the server must not hold shutdown forever.
            Task {
                try await Task.sleep(for: .seconds(10))
                serving.cancel()
            }
        }

        var boundInode: ino_t?
        defer { removeSocket(ifInode: boundInode) }
        try await withTaskCancellationHandler {
            do {
                _ = try await transport.listeningAddress
            } catch {
                try await serving.value  // the bind error, when serve() failed
                if Task.isCancelled { return }
                throw error
            }
            var st = stat()
            if lstat(socketPath, &st) == 0 { boundInode = st.st_ino }
            // Any user may connect; attestation decides what each caller gets.
            guard chmod(socketPath, 0o777) == 0 else {
                let error = WorkloadAPIServerError("cannot make \(socketPath) connectable by all users: \(Errno(errno))")
                stop()
                try? await serving.value
                throw error
            }
            logger.info("Workload API listening", metadata: ["socket": "\(socketPath)"])
            await whenListening()
            try await serving.value
        } onCancel: {
            stop()
        }
        logger.info("Workload API stopped", metadata: ["socket": "\(socketPath)"])
    }

    /// The socket's listen backlog. NIO's default (128) refuses connects with EAGAIN when a few
    /// hundred workloads start at once (a node boot, a deployment); the kernel caps it at somaxconn.
    public static let listenBacklog: Int32 = 4096

    /// Runs in the listener's initializer, before `bind`, which is when the backlog takes effect.
    @Sendable public static func raiseListenBacklog(_ channel: any Channel) -> EventLoopFuture<Void> {
        channel.setOption(ChannelOptions.backlog, value: listenBacklog)
    }

    /// Creates the parent directory, and removes a leftover socket of a previous run, but never a
    /// socket another live agent is serving, nor a file that is not a socket.
    func prepareSocketPath() throws {
        let directory = (socketPath as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        }
        var st = stat()
        guard lstat(socketPath, &st) == 0 else {
            if errno == ENOENT { return }
            throw WorkloadAPIServerError("cannot inspect \(socketPath): \(Errno(errno))")
        }
        guard st.st_mode & S_IFMT == S_IFSOCK else {
            throw WorkloadAPIServerError("\(socketPath) exists and is not a socket; refusing to replace it")
        }
        if Self.isAccepting(socketPath) {
            throw WorkloadAPIServerError("another process is serving \(socketPath); stop it or choose another socket path")
        }
        guard unlink(socketPath) == 0 || errno == ENOENT else {
            throw WorkloadAPIServerError("cannot remove the stale socket \(socketPath): \(Errno(errno))")
        }
    }

    /// Removes the socket on shutdown if it is still the one this server bound.
    private func removeSocket(ifInode inode: ino_t?) {
        guard let inode else { return }
        var st = stat()
        if lstat(socketPath, &st) == 0, st.st_ino == inode, st.st_mode & S_IFMT == S_IFSOCK {
            unlink(socketPath)
        }
    }

    /// Whether something accepts connections on the Unix socket at `path` (a live server, not a stale file).
    static func isAccepting(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        return result == 0
    }
}

public struct WorkloadAPIServerError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
