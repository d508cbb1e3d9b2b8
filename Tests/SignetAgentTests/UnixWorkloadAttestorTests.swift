import Crypto
import Foundation
import SignetCore
import Testing

@testable import SignetAgent

#if canImport(Glibc)
import Glibc
#endif

@Suite struct UnixWorkloadAttestorTests {
    @Test func selectorsOfThisProcess() throws {
        let attestor = UnixWorkloadAttestor()
        let credentials = PeerCredentials(pid: getpid(), uid: getuid(), gid: getgid())
        let selectors = Set(try attestor.attest(credentials).map(\.description))

        let exe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let digest = SHA256.hash(data: try Data(contentsOf: URL(fileURLWithPath: "/proc/self/exe")))
        let hex = digest.map { String(format: "%02x", $0) }.joined()
        #expect(selectors.contains("unix:uid:\(getuid())"))
        #expect(selectors.contains("unix:gid:\(getgid())"))
        #expect(selectors.contains("unix:path:\(exe)"))
        #expect(selectors.contains("unix:sha256:\(hex)"))
        if let user = getpwuid(getuid()) {
            #expect(selectors.contains("unix:user:\(String(cString: user.pointee.pw_name))"))
        }
        if let group = getgrgid(getgid()) {
            #expect(selectors.contains("unix:group:\(String(cString: group.pointee.gr_name))"))
        }
        var groups = [gid_t](repeating: 0, count: 256)
        let count = getgroups(Int32(groups.count), &groups)
        for gid in groups.prefix(Int(max(count, 0))) {
            #expect(selectors.contains("unix:supplementary_gid:\(gid)"))
        }
    }

    @Test func executableDigestIsCachedByFileIdentity() throws {
        let digests = ExecutableDigestCache()
        let attestor = UnixWorkloadAttestor(procRoot: "/proc", digests: digests)
        let credentials = PeerCredentials(pid: getpid(), uid: getuid(), gid: getgid())
        let first = try attestor.attest(credentials)
        #expect(digests.count == 1)
        let second = try attestor.attest(credentials)
        #expect(digests.count == 1)
        #expect(first == second)
    }

    @Test func aChangedFileIsHashedAgain() throws {
        let directory = try WorkloadFixture.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/program"
        let digests = ExecutableDigestCache()
        func hash() throws -> String {
            let fd = open(path, O_RDONLY)
            defer { close(fd) }
            return try digests.digest(ofOpenFile: fd).get()
        }
        try Data("one".utf8).write(to: URL(fileURLWithPath: path))
        let one = try hash()
        #expect(one == SHA256.hash(data: Data("one".utf8)).map { String(format: "%02x", $0) }.joined())
        // Same size, same content length: only the change time tells them apart.
        try Data("two".utf8).write(to: URL(fileURLWithPath: path))
        let two = try hash()
        #expect(two == SHA256.hash(data: Data("two".utf8)).map { String(format: "%02x", $0) }.joined())
        #expect(digests.count == 2)
    }

    @Test func aProcessThatIsGoneFailsAttestation() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        let credentials = PeerCredentials(pid: process.processIdentifier, uid: getuid(), gid: getgid())
        #expect(throws: WorkloadAttestationError.processGone(credentials.pid)) {
            try UnixWorkloadAttestor().attest(credentials)
        }
        #expect(throws: WorkloadAttestationError.self) {
            try UnixWorkloadAttestor().attest(PeerCredentials(pid: 0, uid: 0, gid: 0))
        }
    }
}
