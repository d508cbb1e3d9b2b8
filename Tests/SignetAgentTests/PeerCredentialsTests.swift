import Foundation
import NIOCore
import NIOPosix
import Testing

@testable import SignetAgent

#if canImport(Glibc)
import Glibc
#endif

/// SO_PEERCRED / SO_PEERPIDFD on a real Unix socket, with the client run under another uid.
@Suite struct PeerCredentialsTests {
    /// Connects to the socket given as argv[1] and holds the connection until stdin closes.
    static let client = """
        import socket, sys
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(sys.argv[1])
        sys.stdin.read()
        """

    @Test(.enabled(if: canSwitchUser, "needs root and setpriv"))
    func kernelCredentialsOfAProcessUnderAnotherUID() async throws {
        let directory = try WorkloadFixture.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/peer.sock"
        let (peers, received) = AsyncStream<Result<ConnectedPeer, any Error>>.makeStream()
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                PeerCredentials.read(from: channel).always { received.yield($0) }.map { _ in () }
                    .recover { _ in () }
            }
            .bind(unixDomainSocketPath: path).get()
        chmod(path, 0o777)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        process.arguments = [
            "--reuid", "65534", "--regid", "65534", "--clear-groups", "/usr/bin/python3", "-c", Self.client, path,
        ]
        let stdin = Pipe()
        process.standardInput = stdin
        try process.run()

        var iterator = peers.makeAsyncIterator()
        let peer = try #require(await iterator.next()).get()
        // setpriv execs python3, so the connecting process has setpriv's PID.
        #expect(peer.credentials == PeerCredentials(pid: process.processIdentifier, uid: 65534, gid: 65534))
        #expect(!peer.process.hasExited)
        if kernelHasPeerPIDFD {
            #expect(peer.process.pidfd != nil)
        }
        let selectors = try UnixWorkloadAttestor().attest(peer.credentials, process: peer.process).map(\.description)
        #expect(selectors.contains("unix:uid:65534"))
        #expect(selectors.contains("unix:gid:65534"))
        #expect(selectors.contains("unix:user:nobody"))
        #expect(!selectors.contains { $0.hasPrefix("unix:supplementary_gid:") })
        #expect(selectors.contains { $0.hasPrefix("unix:path:/usr/bin/python3") })

        try stdin.fileHandleForWriting.close()
        process.waitUntilExit()
        #expect(peer.process.hasExited)
        // The process that connected is gone: its facts can no longer be read, attestation fails.
        #expect(throws: WorkloadAttestationError.processGone(peer.credentials.pid)) {
            try UnixWorkloadAttestor().attest(peer.credentials, process: peer.process)
        }
        try await server.close()
    }

    @Test func ownConnectionShowsOwnCredentialsAndAPinnedProcess() async throws {
        let directory = try WorkloadFixture.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/self.sock"
        let (peers, received) = AsyncStream<Result<ConnectedPeer, any Error>>.makeStream()
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                PeerCredentials.read(from: channel).always { received.yield($0) }.map { _ in () }
                    .recover { _ in () }
            }
            .bind(unixDomainSocketPath: path).get()
        let client = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(unixDomainSocketPath: path).get()
        var iterator = peers.makeAsyncIterator()
        let peer = try #require(await iterator.next()).get()
        #expect(peer.credentials == PeerCredentials(pid: getpid(), uid: getuid(), gid: getgid()))
        #expect(!peer.process.hasExited)
        try await client.close()
        try await server.close()
    }
}

/// SO_PEERPIDFD arrived in Linux 6.5.
let kernelHasPeerPIDFD: Bool = {
    var name = utsname()
    uname(&name)
    let release = withUnsafeBytes(of: &name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    let parts = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
    guard parts.count == 2 else { return false }
    return (parts[0], parts[1]) >= (6, 5)
}()
