import Foundation
import SignetCore

/// One posture problem of a served chain, with the evidence and the fix.
public struct TLSFinding: Hashable, Sendable, Codable {
    /// Stable code: `expired`, `not-yet-valid`, `expiring-soon`, `self-signed`, `weak-signature`, `weak-key`,
    /// `hostname-mismatch`, `untrusted-root`, `incomplete-chain`, `chain-invalid`, `unparseable-certificate`.
    public var code: String
    public var severity: SecretSeverity
    public var message: String
    public var fix: String

    public init(code: String, severity: SecretSeverity, message: String, fix: String) {
        self.code = code
        self.severity = severity
        self.message = message
        self.fix = fix
    }
}

/// What one endpoint served, or why it could not be inspected.
public struct TLSEndpointResult: Hashable, Sendable {
    public var target: TLSTarget
    /// The SNI name sent (nil for an IP target without `--sni`).
    public var serverName: String?
    public var tlsVersion: String?
    /// The leaf as an inventory item (nil when the handshake failed).
    public var leaf: InventoryItem?
    /// Subjects of the certificates the server sent, leaf first.
    public var chainSubjects: [String]
    /// True when the served chain leads to a trusted root (system roots plus `--ca-file`), validity aside.
    public var trusted: Bool
    public var findings: [TLSFinding]
    public var failure: TLSProbeFailure?

    public init(
        target: TLSTarget, serverName: String?, tlsVersion: String? = nil, leaf: InventoryItem? = nil,
        chainSubjects: [String] = [], trusted: Bool = false, findings: [TLSFinding] = [], failure: TLSProbeFailure? = nil
    ) {
        self.target = target
        self.serverName = serverName
        self.tlsVersion = tlsVersion
        self.leaf = leaf
        self.chainSubjects = chainSubjects
        self.trusted = trusted
        self.findings = findings
        self.failure = failure
    }

    public func hasFinding(_ code: String) -> Bool { findings.contains { $0.code == code } }
}

/// The outcome of a `scan tls` run: per-endpoint results in target order and the deduplicated items.
public struct TLSScanReport: Sendable {
    public var endpoints: [TLSEndpointResult]
    /// Leaf certificates, one item per distinct key even when several endpoints serve it.
    public var items: [InventoryItem]
    public var duration: Duration

    public init(endpoints: [TLSEndpointResult], duration: Duration) {
        self.endpoints = endpoints
        self.duration = duration
        var merged: [String: InventoryItem] = [:]
        var order: [String] = []
        for case let leaf? in endpoints.map(\.leaf) {
            if merged[leaf.id] == nil {
                merged[leaf.id] = leaf
                order.append(leaf.id)
            } else {
                merged[leaf.id]!.merge(leaf)
            }
        }
        items = order.compactMap { merged[$0] }
    }

    public var handshakes: Int { endpoints.filter { $0.failure == nil }.count }
    public var failures: Int { endpoints.count - handshakes }
    public var findingCount: Int { endpoints.reduce(0) { $0 + $1.findings.count } }
}

/// Live counters for a progress line.
public struct TLSScanProgress: Sendable {
    public var completed: Int
    public var total: Int
    public var handshakes: Int
    public var findings: Int
    public var elapsed: Duration

    public var ratePerSecond: Double {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return seconds > 0 ? Double(completed) / seconds : 0
    }
}
