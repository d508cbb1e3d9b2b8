import Foundation

/// Runs blocking work (pipe reads and writes, `waitpid`) on a thread of its own and awaits it.
///
/// Swift concurrency's cooperative pool has one thread per core and expects every job to make
/// progress; a `read(2)` on a pipe can wait on another process for as long as it likes. Parking
/// that wait on a dedicated thread keeps the pool free for the work that scans blobs.
enum BlockingThread {
    static func run<Value: Sendable>(
        _ name: String, _ body: @escaping @Sendable () throws -> Value
    ) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try body() }) }
            thread.name = name
            thread.start()
        }
    }

    /// Starts `body` on its own thread without waiting for it (the request writer of a batch).
    static func detach(_ name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread(block: body)
        thread.name = name
        thread.start()
    }
}
