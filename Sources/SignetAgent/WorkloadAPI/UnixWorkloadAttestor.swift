import SignetCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Why a caller could not be attested. The call is refused with PermissionDenied and this message.
public struct WorkloadAttestationError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }

    static func processGone(_ pid: Int32) -> Self {
        Self("calling process \(pid) exited before it could be attested; call from a process that stays alive")
    }
}

/// The `unix` workload attestor: selectors for the process behind a Unix-socket connection,
/// named as SPIRE's `unix` plugin names them so entries carry over.
///
/// uid and gid come from the kernel's connect-time credentials only (never from anything the
/// workload sends). Names, supplementary groups and the executable are read from `/proc/PID` at
/// once, and the pinned process is checked afterwards, so the facts cannot belong to a process
/// that reused the PID.
public struct UnixWorkloadAttestor: Sendable {
    let procRoot: String
    let digests: ExecutableDigestCache

    public init() {
        self.init(procRoot: "/proc", digests: ExecutableDigestCache())
    }

    init(procRoot: String, digests: ExecutableDigestCache) {
        self.procRoot = procRoot
        self.digests = digests
    }

    /// The selectors of the caller: `unix:uid`, `unix:user`, `unix:gid`, `unix:group`,
    /// `unix:supplementary_gid`, `unix:supplementary_group`, `unix:path`, `unix:sha256`.
    ///
    /// Names that do not resolve, and the executable when the agent may not read it (an agent
    /// not running as root, a process of another user), are left out: fewer selectors can only
    /// match fewer entries. A process that is gone fails attestation.
    public func attest(_ credentials: PeerCredentials, process: PeerProcess? = nil) throws(WorkloadAttestationError)
        -> [Selector]
    {
        let pid = credentials.pid
        guard pid > 0 else {
            throw WorkloadAttestationError(
                "the kernel reported no process id for the caller (is it in a PID namespace the agent cannot see?)")
        }
        var selectors: [Selector] = []
        func add(_ value: String) {
            // A value a selector cannot hold (a path with a newline) could never match an entry.
            if let selector = try? Selector(type: "unix", value: value) { selectors.append(selector) }
        }
        add("uid:\(credentials.uid)")
        if let user = Self.userName(credentials.uid) { add("user:\(user)") }
        add("gid:\(credentials.gid)")
        if let group = Self.groupName(credentials.gid) { add("group:\(group)") }

        let base = "\(procRoot)/\(pid)"
        for gid in try supplementaryGroups(base, pid: pid) {
            add("supplementary_gid:\(gid)")
            if let group = Self.groupName(gid) { add("supplementary_group:\(group)") }
        }
        if let executable = try executable(base, pid: pid) {
            add("path:\(executable.path)")
            add("sha256:\(executable.sha256)")
        }
        if process?.hasExited ?? false { throw .processGone(pid) }
        return selectors
    }

    // MARK: /proc

    /// The `Groups:` line of /proc/PID/status: the process's supplementary group IDs.
    func supplementaryGroups(_ base: String, pid: Int32) throws(WorkloadAttestationError) -> [UInt32] {
        let status: [UInt8]
        switch Self.readSmallFile(base + "/status") {
        case .success(let bytes): status = bytes
        case .failure(let error): throw Self.failure(error, pid: pid, reading: "status")
        }
        for line in status.split(separator: UInt8(ascii: "\n")) where line.starts(with: "Groups:".utf8) {
            return line.dropFirst("Groups:".utf8.count)
                .split(whereSeparator: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") })
                .compactMap { UInt32(String(decoding: $0, as: UTF8.self)) }
        }
        return []
    }

    /// The executable's path (as the process's mount namespace names it) and SHA-256, both through
    /// /proc/PID/exe, so a file replaced on disk after exec is not what gets hashed. nil when the
    /// agent is not allowed to look.
    func executable(_ base: String, pid: Int32) throws(WorkloadAttestationError) -> (path: String, sha256: String)? {
        let link = base + "/exe"
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink(link, &buffer, buffer.count - 1)
        guard length >= 0 else {
            let code = errno
            if code == EACCES || code == EPERM { return nil }
            throw Self.failure(Errno(code), pid: pid, reading: "exe")
        }
        let path = String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let fd = open(link, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            if code == EACCES || code == EPERM { return nil }
            throw Self.failure(Errno(code), pid: pid, reading: "exe")
        }
        defer { close(fd) }
        switch digests.digest(ofOpenFile: fd) {
        case .success(let hex): return (path, hex)
        case .failure(let error): throw Self.failure(error, pid: pid, reading: "exe")
        }
    }

    static func failure(_ error: Errno, pid: Int32, reading what: String) -> WorkloadAttestationError {
        if error.code == ENOENT || error.code == ESRCH { return .processGone(pid) }
        return WorkloadAttestationError("cannot read /proc/\(pid)/\(what) of the calling process: \(error)")
    }

    /// Reads a procfs file to the end (procfs reports size 0, so the size cannot be asked first).
    static func readSmallFile(_ path: String, limit: Int = 1 << 20) -> Result<[UInt8], Errno> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(Errno(errno)) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count < limit {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(Errno(errno))
            }
            if count == 0 { break }
            bytes += chunk[..<count]
        }
        return .success(bytes)
    }

    // MARK: Names

    /// getpwuid_r: reentrant, so concurrent attestations do not share libc's static buffer.
    static func userName(_ uid: UInt32) -> String? {
        lookUp { entryBuffer, size in
            var entry = passwd()
            var result: UnsafeMutablePointer<passwd>?
            let rc = getpwuid_r(uid, &entry, entryBuffer, size, &result)
            guard rc == 0 else { return rc == ERANGE ? .retryLarger : .notFound }
            guard result != nil, let name = entry.pw_name else { return .notFound }
            return .found(String(cString: name))
        }
    }

    static func groupName(_ gid: UInt32) -> String? {
        lookUp { entryBuffer, size in
            var entry = group()
            var result: UnsafeMutablePointer<group>?
            let rc = getgrgid_r(gid, &entry, entryBuffer, size, &result)
            guard rc == 0 else { return rc == ERANGE ? .retryLarger : .notFound }
            guard result != nil, let name = entry.gr_name else { return .notFound }
            return .found(String(cString: name))
        }
    }

    enum LookUp {
        case found(String)
        case notFound
        case retryLarger
    }

    /// Calls a `get*_r` function with a buffer that grows on ERANGE (large groups need more than the default).
    private static func lookUp(_ call: (UnsafeMutablePointer<CChar>, Int) -> LookUp) -> String? {
        var size = max(Int(sysconf(Int32(_SC_GETPW_R_SIZE_MAX))), 4096)
        while size <= 1 << 22 {
            let outcome = withUnsafeTemporaryAllocation(of: CChar.self, capacity: size) { buffer in
                call(buffer.baseAddress!, size)
            }
            switch outcome {
            case .found(let name): return name
            case .notFound: return nil
            case .retryLarger: size *= 4
            }
        }
        return nil
    }
}
