#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Buffered, blocking reads from a pipe: NUL- or newline-terminated records and exact byte counts.
///
/// git's machine formats (`log -z`, `cat-file --batch`) are a stream of such records. Reading them
/// through one 64 KiB buffer costs one `read(2)` per buffer rather than per record, and blob
/// contents larger than the buffer are read straight into their destination array. Used on one
/// thread only (it is not `Sendable`).
struct PipeReader {
    /// Failure of the underlying `read(2)`, with `strerror` text.
    struct ReadError: Error, CustomStringConvertible {
        let description: String
    }

    private let descriptor: Int32
    private var buffer: [UInt8]
    private var start = 0
    private var end = 0
    private var atEnd = false

    init(descriptor: Int32, capacity: Int = 1 << 16) {
        self.descriptor = descriptor
        self.buffer = [UInt8](repeating: 0, count: max(capacity, 16))
    }

    /// The bytes before the next `delimiter` (which is consumed). At the end of input, whatever is
    /// left (nil when nothing is). Records longer than `limit` throw: hostile or broken output must
    /// not grow memory without bound.
    mutating func record(until delimiter: UInt8, limit: Int = 1 << 20) throws -> [UInt8]? {
        var record: [UInt8] = []
        while true {
            if start < end {
                let found = buffer.withUnsafeBufferPointer { bytes in
                    bytes[start..<end].firstIndex(of: delimiter)
                }
                if let found {
                    record += buffer[start..<found]
                    start = found + 1
                    return record
                }
                record += buffer[start..<end]
                start = end
                guard record.count <= limit else {
                    throw ReadError(description: "a record longer than \(limit) bytes")
                }
            }
            guard try refill() else { return record.isEmpty ? nil : record }
        }
    }

    /// Exactly `count` bytes, or nil when the input ends first.
    mutating func bytes(count: Int) throws -> [UInt8]? {
        guard count > 0 else { return [] }
        var failure: ReadError?
        var filled = 0
        let result = [UInt8](unsafeUninitializedCapacity: count) { destination, initialized in
            let buffered = min(end - start, count)
            if buffered > 0 {
                buffer.withUnsafeBufferPointer { source in
                    destination.baseAddress!.initialize(from: source.baseAddress! + start, count: buffered)
                }
                start += buffered
                filled = buffered
            }
            while filled < count {
                let got = systemRead(descriptor, destination.baseAddress! + filled, count - filled)
                if got < 0 {
                    if errno == EINTR { continue }
                    failure = ReadError(description: String(cString: strerror(errno)))
                    break
                }
                if got == 0 { break }
                filled += got
            }
            initialized = filled
        }
        if let failure { throw failure }
        return filled == count ? result : nil
    }

    /// Whether the input is exhausted (no buffered byte and end of file reached).
    mutating func isAtEnd() throws -> Bool {
        if start < end { return false }
        return try !refill()
    }

    /// Reads more input into the (empty) buffer; false at end of input.
    private mutating func refill() throws -> Bool {
        guard !atEnd else { return false }
        start = 0
        end = 0
        while true {
            let count = buffer.count
            let got = buffer.withUnsafeMutableBufferPointer { bytes in
                systemRead(descriptor, bytes.baseAddress!, count)
            }
            if got < 0 {
                if errno == EINTR { continue }
                throw ReadError(description: String(cString: strerror(errno)))
            }
            if got == 0 {
                atEnd = true
                return false
            }
            end = got
            return true
        }
    }
}

/// `read(2)`, named apart from the reader's methods.
@inline(__always)
private func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    read(descriptor, buffer, count)
}

/// Writes all of `bytes` to a pipe, retrying short writes; false when the reader went away
/// (EPIPE: git exited early, its own error says why).
func writeAll(_ bytes: [UInt8], to descriptor: Int32) -> Bool {
    bytes.withUnsafeBytes { raw in
        var offset = 0
        while offset < raw.count {
            let wrote = write(descriptor, raw.baseAddress! + offset, raw.count - offset)
            if wrote < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += wrote
        }
        return true
    }
}
