import Crypto
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// SHA-256 digests of executables, keyed by what identifies a file's content on disk.
///
/// Hashing a 100 MB binary costs a noticeable fraction of a second; a workload that calls the
/// Workload API often must not pay that each time. The key is (device, inode, size, mtime,
/// ctime): replacing or rewriting the file changes at least one of them, and ctime cannot be set
/// back by the file's owner the way mtime can.
final class ExecutableDigestCache: Sendable {
    struct Key: Hashable {
        let device: UInt64
        let inode: UInt64
        let size: Int64
        let mtime: timespec
        let ctime: timespec

        init(_ st: stat) {
            device = UInt64(st.st_dev)
            inode = UInt64(st.st_ino)
            size = Int64(st.st_size)
            mtime = st.st_mtim
            ctime = st.st_ctim
        }

        static func == (a: Key, b: Key) -> Bool {
            a.device == b.device && a.inode == b.inode && a.size == b.size
                && a.mtime.tv_sec == b.mtime.tv_sec && a.mtime.tv_nsec == b.mtime.tv_nsec
                && a.ctime.tv_sec == b.ctime.tv_sec && a.ctime.tv_nsec == b.ctime.tv_nsec
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(device)
            hasher.combine(inode)
            hasher.combine(size)
            hasher.combine(mtime.tv_sec)
            hasher.combine(mtime.tv_nsec)
        }
    }

    private let digests = Mutex<[Key: String]>([:])
    let capacity: Int

    init(capacity: Int = 1024) {
        self.capacity = capacity
    }

    var count: Int { digests.withLock { $0.count } }

    /// The lowercase hex SHA-256 of the open file `fd`, from the cache when its identity is unchanged.
    /// A file that changes while it is being hashed is hashed but not cached.
    func digest(ofOpenFile fd: CInt) -> Result<String, Errno> {
        var before = stat()
        guard fstat(fd, &before) == 0 else { return .failure(Errno(errno)) }
        let key = Key(before)
        if let known = digests.withLock({ $0[key] }) { return .success(known) }

        var hasher = SHA256()
        let chunk = 1 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        var offset: off_t = 0
        while true {
            let count = pread(fd, buffer.baseAddress, chunk, offset)
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(Errno(errno))
            }
            if count == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[..<count]))
            offset += off_t(count)
        }
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(64)
        for byte in hasher.finalize() {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0xF)])
        }
        let hex = String(decoding: text, as: UTF8.self)

        var after = stat()
        if fstat(fd, &after) == 0, Key(after) == key {
            digests.withLock { map in
                if map.count >= capacity, let victim = map.keys.first { map.removeValue(forKey: victim) }
                map[key] = hex
            }
        }
        return .success(hex)
    }
}

/// An errno value, so failures keep their cause (ENOENT means "process gone", EACCES "not allowed").
struct Errno: Error, Equatable, CustomStringConvertible {
    let code: CInt
    init(_ code: CInt) { self.code = code }
    var description: String { String(cString: strerror(code)) }
}
