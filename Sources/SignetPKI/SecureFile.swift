import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes secrets and certificates to the data directory.
///
/// Private keys are created with mode 0600 from the first byte (never written
/// world-readable and chmod-ed afterwards) and replaced atomically by rename,
/// so a crash leaves either the old or the new file, never half of one.
public enum SecureFile {
    public static func write(_ text: String, to path: String, mode: mode_t = 0o600) throws(PKIError) {
        let tmp = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw .io("cannot create \(tmp): \(String(cString: strerror(errno)))") }
        var ok = fchmod(fd, mode) == 0
        let bytes = Array(text.utf8)
        var offset = 0
        while ok, offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { ok = false } else { offset += n }
        }
        ok = ok && fsync(fd) == 0
        close(fd)
        guard ok, rename(tmp, path) == 0 else {
            unlink(tmp)
            throw .io("cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }

    public static func read(_ path: String) throws(PKIError) -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .io("cannot read \(path): \(error.localizedDescription)")
        }
    }

    public static func exists(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: path)
    }

    /// Creates a directory (and parents) with mode 0700 when missing.
    public static func makeDirectory(_ path: String) throws(PKIError) {
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw .io("cannot create directory \(path): \(error.localizedDescription)")
        }
    }

    /// The permission bits of a file, for checks and tests.
    public static func mode(of path: String) -> mode_t? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return st.st_mode & 0o777
    }
}
