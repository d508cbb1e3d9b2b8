import Foundation

/// One identity event: an issuance, a refusal, an admin change.
///
/// The store appends an event in the same transaction as the change it
/// describes, so the log and the state can never disagree.
public struct AuditEvent: Hashable, Sendable, Codable {
    public enum Outcome: String, Codable, Sendable {
        case success
        case denied
        case failure
    }

    /// Assigned by the store on append; 0 before that.
    public var sequence: Int64
    public var time: Date
    /// Who acted: a SPIFFE ID, `system`, or `anonymous`.
    public var actor: String
    /// Dotted verb such as `entry.create` or `svid.x509.issue`.
    public var action: String
    /// What was acted on: an entry id, a SPIFFE ID, a serial.
    public var subject: String
    public var outcome: Outcome
    public var reason: String?
    /// Extra machine-readable facts (never secrets).
    public var details: [String: String]

    public init(
        time: Date = Date(), actor: String, action: String, subject: String, outcome: Outcome,
        reason: String? = nil, details: [String: String] = [:]
    ) {
        self.sequence = 0
        self.time = time
        self.actor = actor
        self.action = action
        self.subject = subject
        self.outcome = outcome
        self.reason = reason
        self.details = details
    }
}
