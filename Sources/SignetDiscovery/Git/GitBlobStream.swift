import Foundation
import Synchronization

/// One blob read from the object store, with where history introduced it. `bytes` is nil when git
/// reported the object missing.
struct GitBlob: Sendable {
    let introduction: GitBlobIntroduction
    let bytes: [UInt8]?
    /// Read-ahead budget units the blob holds until `GitBlobStream.release(_:)`.
    let units: Int
}

/// Blob contents streamed from ONE long-running `git cat-file --batch` process.
///
/// A request thread writes every object id up front; a reader thread parses the
/// `<oid> blob <size>\n<bytes>\n` frames in the same order and hands each blob to the async side.
/// The reader runs ahead of the scanners within a memory budget: it takes one 64 KiB unit per
/// 64 KiB of blob (at least one, at most the whole budget) before reading, and the consumer gives
/// them back once the blob is scanned (`release(_:)`). A deep read-ahead lets git inflate the next
/// blobs while the current ones are scanned, and the budget keeps memory flat however long the
/// history is.
struct GitBlobStream: Sendable {
    let blobs: AsyncThrowingStream<GitBlob, any Error>
    private let permits: DispatchSemaphore

    /// The read-ahead budget's unit.
    static let unit = 64 * 1024

    /// Starts the process and the reader. `sizes` are the blobs' sizes from `--batch-check`;
    /// `maximumSize` bounds what a frame may announce (a larger frame means the output is not
    /// what was asked). `budget` is the read-ahead in bytes.
    static func start(
        _ wanted: [GitBlobIntroduction], sizes: [Int], from repository: GitRepository, budget: Int, maximumSize: Int
    ) throws -> GitBlobStream {
        let budgetUnits = max(1, budget / unit)
        let process = try GitProcess.start(
            repository.git, in: repository.root, ["cat-file", "--batch", "--buffer"], withInput: true)
        process.sendRequests(wanted.map(\.oid))
        // Created empty and filled by signals: libdispatch traps when a semaphore is freed holding
        // less than its initial value, which a failed or abandoned stream would otherwise do.
        let permits = DispatchSemaphore(value: 0)
        for _ in 0..<budgetUnits { permits.signal() }
        let stopped = StopFlag()
        let (blobs, continuation) = AsyncThrowingStream<GitBlob, any Error>.makeStream()
        continuation.onTermination = { termination in
            guard case .cancelled = termination else { return }
            stopped.set()
            process.stop()
            for _ in 0..<budgetUnits { permits.signal() }  // wake a reader waiting for the budget
        }
        BlockingThread.detach("git-cat-file") {
            var reader = process.outputReader()
            do {
                for (blob, size) in zip(wanted, sizes) {
                    let units = min(budgetUnits, max(1, (size + unit - 1) / unit))
                    for _ in 0..<units { permits.wait() }
                    if stopped.isSet { break }
                    let bytes = try frame(&reader, for: blob.oid, maximumSize: maximumSize, command: process.command)
                    continuation.yield(GitBlob(introduction: blob, bytes: bytes, units: units))
                }
                if stopped.isSet {
                    _ = process.finish()
                    continuation.finish()
                    return
                }
                try process.finishSuccessfully()
                continuation.finish()
            } catch {
                process.stop()
                let (status, message) = process.finish()
                if status != 0, !stopped.isSet {
                    continuation.finish(throwing: GitHistoryError.commandFailed(command: process.command, status: status, detail: message))
                } else {
                    continuation.finish(throwing: error)
                }
            }
        }
        return GitBlobStream(blobs: blobs, permits: permits)
    }

    /// Gives back the budget a received blob held.
    func release(_ blob: GitBlob) {
        for _ in 0..<blob.units { permits.signal() }
    }

    /// Reads one `<oid> blob <size>\n<size bytes>\n` frame (or `<oid> missing\n`: nil).
    static func frame(_ reader: inout PipeReader, for oid: String, maximumSize: Int, command: String) throws -> [UInt8]? {
        func unexpected(_ detail: String) -> GitHistoryError { .unexpectedOutput(command: command, detail: detail) }
        guard let header = try reader.record(until: UInt8(ascii: "\n"), limit: 4096) else {
            throw unexpected("the output ended before \(oid)")
        }
        let fields = header.split(separator: UInt8(ascii: " "))
        guard let name = fields.first, name.elementsEqual(oid.utf8) else {
            throw unexpected("expected \(oid), got \"\(String(decoding: header.prefix(100), as: UTF8.self))\"")
        }
        if fields.count == 2 { return nil }  // missing (removed since it was measured)
        guard fields.count == 3, fields[1].elementsEqual("blob".utf8),
              let size = Int(String(decoding: fields[2], as: UTF8.self)), (0...maximumSize).contains(size)
        else {
            throw unexpected("a malformed header for \(oid): \"\(String(decoding: header.prefix(100), as: UTF8.self))\"")
        }
        guard let bytes = try reader.bytes(count: size), try reader.bytes(count: 1) == [UInt8(ascii: "\n")] else {
            throw unexpected("the content of \(oid) ended early")
        }
        return bytes
    }
}

/// Set once, read from any thread: the consumer stopped listening.
final class StopFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}
