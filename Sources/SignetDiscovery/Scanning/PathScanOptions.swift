import Foundation

/// What `scan path` reads and how hard it works.
public struct PathScanOptions: Sendable {
    /// Files larger than this are skipped (and counted): multi-megabyte files are almost always
    /// data dumps, and reading them dominates scan time. Default 10 MiB.
    public var maximumFileSize: Int
    /// Skip files with a NUL byte in their first 8 KiB (binaries, images, archives).
    public var skipBinaryFiles: Bool
    /// Files read and scanned at once. Default: one per core.
    public var concurrency: Int
    /// Directory names never descended into. `.git` is scanned by `--git` (history, each blob once),
    /// not as a working tree.
    public var excludedDirectoryNames: Set<String>

    public init(
        maximumFileSize: Int = 10 * 1024 * 1024,
        skipBinaryFiles: Bool = true,
        concurrency: Int = PathScanOptions.defaultConcurrency,
        excludedDirectoryNames: Set<String> = [".git"]
    ) {
        self.maximumFileSize = maximumFileSize
        self.skipBinaryFiles = skipBinaryFiles
        self.concurrency = max(1, concurrency)
        self.excludedDirectoryNames = excludedDirectoryNames
    }

    public static var defaultConcurrency: Int { ProcessInfoCores.active }

    /// Bytes inspected for a NUL when deciding whether a file is binary.
    static let binaryProbeLength = 8192
}

/// Kept apart so the options type reads without Foundation noise.
enum ProcessInfoCores {
    static var active: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }
}
