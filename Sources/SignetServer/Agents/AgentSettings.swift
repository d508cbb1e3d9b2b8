import Foundation
import SignetCore

/// Fixed limits of the node-agent API (the tunable settings live in `ServerConfiguration`'s `[agent]`).
enum AgentSettings {
    static let defaultJoinTokenTTL = 600
    static let maxJoinTokenTTL = 24 * 3600

    /// Longest a sync may be held open, in seconds.
    static let maxSyncWait = 30
    static let maxSVIDRequests = 500
    static let maxReportedEvents = 100
    /// Body limit for SVID batches: 500 CSRs of an RSA-4096 key are about 1 MiB of PEM.
    static let maxSVIDBatchBody = 2 * 1024 * 1024

    static let challengeLifetime: TimeInterval = 60
    static let maxOutstandingChallenges = 10_000
}
