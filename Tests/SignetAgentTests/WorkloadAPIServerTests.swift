import Foundation
import Logging
import Testing

@testable import SignetAgent

#if canImport(Glibc)
import Glibc
#endif

/// The socket file: created world-connectable, stale ones replaced, nothing else touched.
@Suite struct WorkloadAPIServerTests {
    func mode(_ path: String) -> mode_t? {
        var st = stat()
        return lstat(path, &st) == 0 ? st.st_mode : nil
    }

    /// Binds a Unix socket at `path` and closes it without unlinking, as a killed process leaves it.
    func makeStaleSocket(_ path: String) throws {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: Array(path.utf8) + [0])
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { throw TestFailure("bind \(path): errno \(errno)") }
    }

    @Test func socketIsWorldConnectableAndRemovedOnShutdown() async throws {
        let fixture = try WorkloadFixture()
        // A socket left by a crashed agent: nothing accepts on it any more.
        try FileManager.default.createDirectory(
            atPath: (fixture.socketPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try makeStaleSocket(fixture.socketPath)
        #expect(mode(fixture.socketPath).map { $0 & S_IFMT } == S_IFSOCK)

        try await fixture.withServer {
            let bound = try #require(mode(fixture.socketPath))
            #expect(bound & S_IFMT == S_IFSOCK)
            #expect(bound & 0o777 == 0o777)
            #expect(WorkloadAPIServer.isAccepting(fixture.socketPath))
            // A second agent on the same socket must not steal it.
            let second = WorkloadAPIServer(socketPath: fixture.socketPath, agent: fixture.agent, logger: Logger(label: "t"))
            #expect(throws: WorkloadAPIServerError.self) { try second.prepareSocketPath() }
        }
        #expect(mode(fixture.socketPath) == nil)
    }

    @Test func aFileThatIsNotASocketIsLeftAlone() async throws {
        let fixture = try WorkloadFixture()
        let directory = fixture.directory + "/api"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: fixture.socketPath))
        let server = WorkloadAPIServer(socketPath: fixture.socketPath, agent: fixture.agent, logger: Logger(label: "t"))
        await #expect(throws: WorkloadAPIServerError.self) { try await server.run() }
        #expect(try String(contentsOfFile: fixture.socketPath, encoding: .utf8) == "keep me")
    }

    @Test func shutdownEndsOpenStreamsWithUnavailable() async throws {
        let fixture = try WorkloadFixture()
        try fixture.publish([try fixture.entry("web", ["unix:uid:\(getuid())"])])
        var logger = Logger(label: "t")
        logger.logLevel = .warning
        let server = WorkloadAPIServer(socketPath: fixture.socketPath, agent: fixture.agent, logger: logger)
        let (ready, signal) = AsyncStream<Void>.makeStream()
        let running = Task { try await server.run(whenListening: { signal.yield() }) }
        for await _ in ready { break }
        let (first, ending) = try await fixture.withClient { client in
            try await client.fetchX509SVID(X509SVIDRequest(), metadata: .workload) { response in
                var messages = response.messages.makeAsyncIterator()
                let first = try await messages.next()
                running.cancel()
                return (first, await rpcCode { try await messages.next() })
            }
        }
        #expect(first?.svids.count == 1)
        #expect(ending == .unavailable)
        try await running.value
        #expect(mode(fixture.socketPath) == nil)
        #expect(fixture.agent.publisher.watcherCount == 0)
    }
}
