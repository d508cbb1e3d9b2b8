/// The outcome of scanning one or more paths: findings plus the accounting a user needs to trust
/// the result (what was read, what was skipped and why, how fast).
public struct PathScanReport: Sendable, Codable {
    public var findings: [SecretFinding] = []
    public var filesScanned = 0
    public var bytesScanned = 0
    public var filesSkippedBinary = 0
    public var filesSkippedTooLarge = 0
    /// Paths that could not be read, with the reason.
    public var unreadable: [UnreadablePath] = []
    public var elapsedSeconds = 0.0

    public init() {}

    /// Throughput in decimal megabytes per second (the unit detect-secrets comparisons use).
    public var megabytesPerSecond: Double {
        elapsedSeconds > 0 ? Double(bytesScanned) / 1_000_000 / elapsedSeconds : 0
    }

    mutating func merge(_ file: FileScanOutcome) {
        switch file {
        case .scanned(let bytes, let findings):
            filesScanned += 1
            bytesScanned += bytes
            self.findings += findings
        case .skippedBinary:
            filesSkippedBinary += 1
        case .skippedTooLarge:
            filesSkippedTooLarge += 1
        case .unreadable(let path, let reason):
            unreadable.append(UnreadablePath(path: path, reason: reason))
        }
    }
}

/// A running tally handed to `PathScanner.scan`'s progress callback.
public struct PathScanProgress: Sendable {
    public let filesScanned: Int
    public let bytesScanned: Int
    public let findings: Int
    public let elapsedSeconds: Double

    public var megabytesPerSecond: Double {
        elapsedSeconds > 0 ? Double(bytesScanned) / 1_000_000 / elapsedSeconds : 0
    }
}

public struct UnreadablePath: Sendable, Codable, Hashable {
    public let path: String
    public let reason: String
}

/// What happened to one file.
enum FileScanOutcome: Sendable {
    case scanned(bytes: Int, findings: [SecretFinding])
    case skippedBinary
    case skippedTooLarge
    case unreadable(path: String, reason: String)
}
