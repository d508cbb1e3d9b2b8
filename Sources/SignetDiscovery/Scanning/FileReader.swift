#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads whole files with plain POSIX calls: one `open`, one `fstat`, `read` into a buffer of the
/// exact size. Avoids Foundation's `Data` bridging on the hot path of a scan over many small files.
enum FileReader {
    enum Outcome {
        case bytes([UInt8])
        case tooLarge(Int)
        case failed(String)
    }

    static func read(_ path: String, maximumSize: Int) -> Outcome {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return .failed(errorText()) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return .failed(errorText()) }
        let size = Int(status.st_size)
        guard size <= maximumSize else { return .tooLarge(size) }
        var failure: String?
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            var offset = 0
            while offset < size {
                let count = posixRead(descriptor, buffer.baseAddress! + offset, size - offset)
                if count < 0 {
                    if errno == EINTR { continue }
                    failure = errorText()
                    break
                }
                if count == 0 { break }  // file shrank while reading
                offset += count
            }
            initialized = offset
        }
        if let failure { return .failed(failure) }
        return .bytes(bytes)
    }

    private static func errorText() -> String { String(cString: strerror(errno)) }
}

/// `read(2)`, named apart from `FileReader.read` to keep call sites unambiguous.
@inline(__always)
private func posixRead(_ descriptor: Int32, _ buffer: UnsafeMutablePointer<UInt8>, _ count: Int) -> Int {
    read(descriptor, buffer, count)
}
