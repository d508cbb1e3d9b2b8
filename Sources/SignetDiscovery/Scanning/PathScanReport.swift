import Foundation

/// The outcome of scanning one or more paths: findings plus the accounting a user needs to trust
/// the result (what was read, what was skipped and why, how fast).
public struct PathScanReport: Sendable, Codable {
    public var findings: [SecretFinding] = []
    /// Certificates, keys and PKCS#12 files, one per credential (every file it was seen in is a
    /// location), with posture notes; sorted by first location.
    public var credentials: [DiscoveredCredential] = []
    public var filesScanned = 0
    public var bytesScanned = 0
    public var filesSkippedBinary = 0
    public var filesSkippedTooLarge = 0
    /// Paths that could not be read, with the reason.
    public var unreadable: [UnreadablePath] = []
    public var elapsedSeconds = 0.0
    /// For `scan path --git`: the repository and how much of its history was read (nil for a scan of
    /// files). Blobs count as files in the totals above: each is one version of one file.
    public var git: GitHistoryFacts?

    public init() {}

    /// Throughput in decimal megabytes per second (the unit detect-secrets comparisons use).
    public var megabytesPerSecond: Double {
        elapsedSeconds > 0 ? Double(bytesScanned) / 1_000_000 / elapsedSeconds : 0
    }

    mutating func merge(_ file: FileScanOutcome) {
        switch file {
        case .scanned(let bytes, let findings, let credentials):
            filesScanned += 1
            bytesScanned += bytes
            self.findings += findings
            mergeCredentials(credentials)
        case .skippedBinary:
            filesSkippedBinary += 1
        case .skippedTooLarge:
            filesSkippedTooLarge += 1
        case .unreadable(let path, let reason):
            unreadable.append(UnreadablePath(path: path, reason: reason))
        }
    }
}

extension PathScanReport {
    /// Adds one file's credentials: a credential already seen gains the new locations
    /// (`InventoryItem.merge`) and any newly exposing paths.
    mutating func mergeCredentials(_ found: [DiscoveredCredential]) {
        for credential in found {
            if let index = credentials.firstIndex(where: { $0.item.id == credential.item.id }) {
                credentials[index].item.merge(credential.item)
                credentials[index].exposedPaths += credential.exposedPaths.filter { !credentials[index].exposedPaths.contains($0) }
            } else {
                credentials.append(credential)
            }
        }
    }

    /// Sorts credentials and their locations and computes posture notes as of `now`.
    mutating func finishCredentials(now: Date) {
        for index in credentials.indices {
            credentials[index].item.locations.sort { ($0.target, $0.line ?? 0) < ($1.target, $1.line ?? 0) }
            credentials[index].exposedPaths.sort()
            credentials[index].posture = CredentialPosture.notes(
                for: credentials[index].item, exposedPaths: credentials[index].exposedPaths, now: now)
        }
        credentials.sort {
            let left = $0.item.locations.first, right = $1.item.locations.first
            return (left?.target ?? "", left?.line ?? 0, $0.item.id) < (right?.target ?? "", right?.line ?? 0, $1.item.id)
        }
    }
}

/// A running tally handed to the progress callback of `PathScanner.scan` and `GitHistoryScanner.scan`.
public struct PathScanProgress: Sendable, Hashable {
    public let filesScanned: Int
    public let bytesScanned: Int
    public let findings: Int
    public let elapsedSeconds: Double
    /// Bytes dealt with so far: scanned, or read and skipped as binary. Comparable with `bytesTotal`.
    public let bytesDone: Int
    /// Bytes the scan expects to read, counted before it starts (file sizes from `lstat`, or blob
    /// sizes from `git cat-file --batch-check`), excluding what is over the size limit. Nil when
    /// no count was made.
    public let bytesTotal: Int?

    public init(
        filesScanned: Int, bytesScanned: Int, findings: Int, elapsedSeconds: Double, bytesDone: Int? = nil,
        bytesTotal: Int? = nil
    ) {
        self.filesScanned = filesScanned
        self.bytesScanned = bytesScanned
        self.findings = findings
        self.elapsedSeconds = elapsedSeconds
        self.bytesDone = bytesDone ?? bytesScanned
        self.bytesTotal = bytesTotal
    }

    public var megabytesPerSecond: Double {
        elapsedSeconds > 0 ? Double(bytesScanned) / 1_000_000 / elapsedSeconds : 0
    }
}

public struct UnreadablePath: Sendable, Codable, Hashable {
    public let path: String
    public let reason: String
}

/// What happened to one file (or one git blob).
enum FileScanOutcome: Sendable {
    case scanned(bytes: Int, findings: [SecretFinding], credentials: [DiscoveredCredential] = [])
    case skippedBinary(bytes: Int)
    case skippedTooLarge
    case unreadable(path: String, reason: String)

    /// Bytes read for this file, whether scanned or skipped as binary (the progress bar's unit).
    var bytesRead: Int {
        switch self {
        case .scanned(let bytes, _, _), .skippedBinary(let bytes): bytes
        case .skippedTooLarge, .unreadable: 0
        }
    }
}
