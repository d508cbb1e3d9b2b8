import Foundation
import SignetCore

/// An X.509-SVID the agent holds for one registration entry. The private key was
/// generated on this node and never left it.
public struct WorkloadSVID: Sendable, Codable, Equatable {
    public var entryID: String
    public var spiffeID: SPIFFEID
    /// Leaf first, then intermediates (DER).
    public var chainDER: [[UInt8]]
    /// PKCS#8 DER, as the Workload API's `x509_svid_key` carries it.
    public var keyPKCS8: [UInt8]
    public var notBefore: Date
    public var notAfter: Date
    /// When to renew: half the remaining lifetime at receipt, minus up to 10 % jitter so a fleet
    /// does not renew in lockstep. Measured from receipt, not notBefore: CAs backdate notBefore
    /// (Signet by 30 s), which for a 10 s SVID would put "half-life" in the past.
    public var renewAt: Date
    /// The entry revision this SVID was issued for; a newer revision (new DNS names, TTL) reissues.
    public var entryRevision: Int

    public init(
        entryID: String, spiffeID: SPIFFEID, chainDER: [[UInt8]], keyPKCS8: [UInt8], notBefore: Date, notAfter: Date,
        entryRevision: Int, receivedAt: Date = Date(), jitter: Double = Double.random(in: 0...0.1)
    ) {
        self.entryID = entryID
        self.spiffeID = spiffeID
        self.chainDER = chainDER
        self.keyPKCS8 = keyPKCS8
        self.notBefore = notBefore
        self.notAfter = notAfter
        let start = max(notBefore, receivedAt)
        self.renewAt = start.addingTimeInterval(notAfter.timeIntervalSince(start) * (0.5 - jitter))
        self.entryRevision = entryRevision
    }

    public func isExpired(at now: Date) -> Bool { notAfter <= now }
}
