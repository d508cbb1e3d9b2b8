import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One running git command with its standard streams piped to this process.
///
/// Standard error is drained on a thread of its own while the command runs: git can print many
/// warnings about a damaged repository, and a full stderr pipe would stall it (and so the stdout
/// reader) forever. Exit is observed through the termination handler, never by polling.
struct GitProcess: Sendable {
    /// `git <subcommand>`, for messages.
    let command: String
    /// The write end of the command's standard input (nil when it reads none).
    let input: FileHandle?
    /// The read end of the command's standard output.
    let output: FileHandle
    private let process: Process
    private let exited: DispatchSemaphore
    private let errors: PipeDrain

    /// Starts `git -C directory <arguments>`.
    static func start(
        _ git: GitExecutable, in directory: String, _ arguments: [String], withInput: Bool = false
    ) throws -> GitProcess {
        _ = ignoreBrokenPipes
        let process = Process()
        process.executableURL = URL(fileURLWithPath: git.path)
        process.arguments = ["-C", directory] + GitExecutable.globalOptions + arguments
        process.environment = GitExecutable.environment()
        let inputPipe = withInput ? Pipe() : nil
        let outputPipe = Pipe()
        let errorPipe = Pipe()
        process.standardInput = inputPipe ?? FileHandle.nullDevice
        process.standardOutput = outputPipe
        process.standardError = errorPipe
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        let command = "git " + (arguments.first ?? "")
        do {
            try process.run()
        } catch {
            throw GitHistoryError.commandFailed(command: command, status: -1, detail: "cannot start \(git.path): \(error)")
        }
        return GitProcess(
            command: command, input: inputPipe?.fileHandleForWriting, output: outputPipe.fileHandleForReading,
            process: process, exited: exited, errors: PipeDrain(errorPipe.fileHandleForReading))
    }

    /// Waits for the command to exit: its status and (trimmed) standard error.
    func finish() -> (status: Int32, message: String) {
        exited.wait()
        exited.signal()  // a second finish() returns at once
        return (process.terminationStatus, errors.text())
    }

    /// Like `finish()`, but throws `commandFailed` unless the command exited 0.
    func finishSuccessfully() throws {
        let (status, message) = finish()
        guard status == 0 else { throw GitHistoryError.commandFailed(command: command, status: status, detail: message) }
    }

    /// Stops a command whose output is no longer wanted (a scan that failed or was cancelled).
    func stop() {
        if process.isRunning { process.terminate() }
    }

    /// A reader over standard output.
    func outputReader() -> PipeReader { PipeReader(descriptor: output.fileDescriptor) }

    /// Writing to a git that already exited must fail with EPIPE, not kill the scanner with SIGPIPE
    /// (process-wide, set once: no part of signet wants SIGPIPE's default of dying silently).
    private static let ignoreBrokenPipes: Bool = {
        _ = signal(SIGPIPE, SIG_IGN)
        return true
    }()
}

/// Reads a pipe to its end on a thread of its own, keeping the first `limit` bytes.
final class PipeDrain: Sendable {
    private let collected = Mutex<[UInt8]>([])
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle, limit: Int = 64 * 1024) {
        BlockingThread.detach("git-stderr") { [self] in
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {  // read to the end even past the limit, so git never blocks on a full pipe
                let count = chunk.withUnsafeMutableBytes { read(handle.fileDescriptor, $0.baseAddress!, $0.count) }
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { break }
                self.collected.withLock { bytes in
                    if bytes.count < limit { bytes += chunk[0..<min(count, limit - bytes.count)] }
                }
            }
            self.done.signal()
        }
    }

    /// Everything read, once the pipe has ended.
    func text() -> String {
        done.wait()
        done.signal()
        return collected.withLock { String(decoding: $0, as: UTF8.self) }
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
