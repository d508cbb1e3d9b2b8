import Foundation
import SignetCore

/// Limits and settings of the node-agent API.
///
/// Two settings come from the environment rather than `ServerConfiguration`
/// for now (they belong in `[agent]` of the configuration file eventually):
/// - `SIGNET_AGENT_SVID_TTL`: lifetime of agent X.509-SVIDs in seconds (default 1 h).
/// - `SIGNET_X509POP_CA_BUNDLE`: path of a PEM file with the CAs that sign node
///   certificates; without it x509pop attestation is refused.
///
/// Both are read when used, so a test (or an operator rotating the CA file) needs no restart.
enum AgentSettings {
    static let defaultAgentSVIDTTL = 3600
    static let agentSVIDTTLVariable = "SIGNET_AGENT_SVID_TTL"
    static let x509popCABundleVariable = "SIGNET_X509POP_CA_BUNDLE"

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

    /// Agent SVID lifetime: `SIGNET_AGENT_SVID_TTL` when it is a positive integer, else 1 h.
    static var agentSVIDTTL: Int {
        if let text = environment(agentSVIDTTLVariable), let seconds = Int(text), seconds > 0 { return seconds }
        return defaultAgentSVIDTTL
    }

    /// The configured x509pop CA bundle path, if any.
    static var x509popCABundlePath: String? {
        guard let path = environment(x509popCABundleVariable), !path.isEmpty else { return nil }
        return path
    }

    /// Reads the live environment (`getenv`), which reflects `setenv` after launch.
    private static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        return String(cString: value)
    }
}
