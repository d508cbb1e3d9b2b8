import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Who is at the other end of a Unix socket, as the kernel recorded it at `connect()` (SO_PEERCRED).
///
/// The workload cannot choose these values: they come from the kernel, not from anything the
/// client sends. That is what lets the Workload API attest callers out of band, without their
/// participation (SPIFFE Workload Endpoint standard).
public struct PeerCredentials: Sendable, Hashable, CustomStringConvertible {
    public let pid: Int32
    public let uid: UInt32
    public let gid: UInt32

    public init(pid: Int32, uid: UInt32, gid: UInt32) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
    }

    public var description: String { "pid \(pid) uid \(uid) gid \(gid)" }
}

/// `struct ucred` (pid_t, uid_t, gid_t). Glibc does not export it to Swift, so the 12-byte
/// layout the kernel writes is spelled out here.
struct KernelUcred: Sendable {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}

/// The connecting process itself, pinned by a pidfd (SO_PEERPIDFD, Linux 6.5+).
///
/// A PID alone can be recycled: a workload could connect, exit, and have its PID reused by a
/// more privileged process before `/proc/PID` is read. The pidfd refers to the process that
/// called `connect()`, so checking it after reading `/proc` proves the facts came from that
/// process and not from a successor. On kernels without SO_PEERPIDFD this check is unavailable
/// and attestation relies on reading `/proc` at once.
public final class PeerProcess: Sendable {
    public let pid: Int32
    /// Owned; closed on deinit. nil when the kernel cannot pin the peer.
    let pidfd: CInt?

    init(pid: Int32, pidfd: CInt?) {
        self.pid = pid
        self.pidfd = pidfd
    }

    deinit {
        if let pidfd { _ = close(pidfd) }
    }

    /// True once the process that connected has exited (a pidfd becomes readable then).
    /// Without a pidfd, falls back to whether `/proc/PID` still exists, which cannot see reuse.
    public var hasExited: Bool {
        guard let pidfd else { return access("/proc/\(pid)", F_OK) != 0 }
        var entry = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
        while true {
            let ready = poll(&entry, 1, 0)
            if ready < 0, errno == EINTR { continue }
            return ready != 0 && (ready < 0 || entry.revents & Int16(POLLIN | POLLHUP | POLLERR) != 0)
        }
    }
}

/// A connected peer: its kernel credentials and its pinned process.
struct ConnectedPeer: Sendable {
    let credentials: PeerCredentials
    let process: PeerProcess
}

enum PeerCredentialsError: Error, CustomStringConvertible {
    case notAUnixSocket
    case processGone(Int32)

    var description: String {
        switch self {
        case .notAUnixSocket: "the connection is not a Unix socket, so the kernel cannot say who the caller is"
        case .processGone(let pid): "the calling process \(pid) exited before it could be identified"
        }
    }
}

/// SO_PEERPIDFD from <asm-generic/socket.h> (Linux 6.5); the Glibc headers here predate it.
let soPeerPIDFD: CInt = 77

extension PeerCredentials {
    /// Reads SO_PEERCRED, and SO_PEERPIDFD where the kernel has it, from a connected Unix-socket channel.
    ///
    /// Internal and never inlined on purpose: NIO warns that `unsafeGetSocketOption` called from
    /// inlinable code can crash in release builds, and the value type must match the option exactly.
    @inline(never)
    static func read(from channel: any Channel) -> EventLoopFuture<ConnectedPeer> {
        guard let provider = channel as? any SocketOptionProvider else {
            return channel.eventLoop.makeFailedFuture(PeerCredentialsError.notAUnixSocket)
        }
        let ucred: EventLoopFuture<KernelUcred> = provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
        return ucred.flatMap { ucred in
            let credentials = PeerCredentials(pid: ucred.pid, uid: ucred.uid, gid: ucred.gid)
            let pidfd: EventLoopFuture<CInt> = provider.unsafeGetSocketOption(
                level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(soPeerPIDFD))
            return pidfd.map { fd in
                ConnectedPeer(credentials: credentials, process: PeerProcess(pid: ucred.pid, pidfd: fd >= 0 ? fd : nil))
            }.flatMapErrorThrowing { error in
                switch (error as? IOError)?.errnoCode {
                case ENOPROTOOPT, EINVAL, EOPNOTSUPP:
                    // Older kernel: no pidfd, attest by PID alone.
                    return ConnectedPeer(credentials: credentials, process: PeerProcess(pid: ucred.pid, pidfd: nil))
                case ESRCH:
                    throw PeerCredentialsError.processGone(ucred.pid)
                default:
                    throw error
                }
            }
        }
    }
}
