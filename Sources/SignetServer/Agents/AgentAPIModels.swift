import Foundation
import SignetCore

// The JSON bodies of the agent API (snake_case, RFC 3339 dates via `APIJSON`).
// The node agent is written against exactly these names.

/// The answer to attestation and renewal: the agent's own X.509-SVID.
struct AgentSVIDOutput: Encodable {
    let spiffeID: String
    /// Leaf first, then intermediates (PEM).
    let certificateChain: String
    /// The trust anchors (PEM).
    let bundle: String
    let notAfter: Date

    enum CodingKeys: String, CodingKey {
        case spiffeID = "spiffe_id"
        case certificateChain = "certificate_chain"
        case bundle
        case notAfter = "not_after"
    }
}

struct JoinTokenAttestInput: Decodable {
    let token: String
    let csr: String
}

struct X509PoPChallengeInput: Decodable {
    let certificateChain: String
    enum CodingKeys: String, CodingKey { case certificateChain = "certificate_chain" }
}

struct X509PoPChallengeOutput: Encodable {
    let challengeID: String
    /// Base64 (standard alphabet) of 32 random bytes; the node signs the raw bytes.
    let nonce: String
    enum CodingKeys: String, CodingKey {
        case challengeID = "challenge_id"
        case nonce
    }
}

struct X509PoPAttestInput: Decodable {
    let challengeID: String
    let signature: String
    let csr: String
    enum CodingKeys: String, CodingKey {
        case challengeID = "challenge_id"
        case signature, csr
    }
}

struct RenewInput: Decodable {
    let csr: String
}

/// A sync answer without its bundle; the route splices in the bundle's pre-encoded JSON.
struct SyncOutput: Encodable {
    let epoch: String
    let revision: Int
    let full: Bool
    let entries: [RegistrationEntry]
    let removed: [String]
    let bundleSequence: Int64
    /// The SPIFFE bundle JSON (text) of every federated trust domain the agent's entries name in
    /// `federates_with`, keyed by trust domain name; always complete (the agent replaces its copy).
    let federatedBundles: [String: String]

    enum CodingKeys: String, CodingKey {
        case epoch, revision, full, entries, removed
        case bundleSequence = "bundle_sequence"
        case federatedBundles = "federated_bundles"
    }
}

struct SVIDBatchInput: Decodable {
    struct Item: Decodable {
        let entryID: String
        let csr: String
        enum CodingKeys: String, CodingKey {
            case entryID = "entry_id"
            case csr
        }
    }
    let requests: [Item]
}

struct SVIDBatchOutput: Encodable {
    struct SVID: Encodable {
        let entryID: String
        let spiffeID: String
        let certificateChain: String
        let notAfter: Date
        let serial: String
        enum CodingKeys: String, CodingKey {
            case entryID = "entry_id"
            case spiffeID = "spiffe_id"
            case certificateChain = "certificate_chain"
            case notAfter = "not_after"
            case serial
        }
    }
    struct Failure: Encodable {
        let entryID: String
        let message: String
        enum CodingKeys: String, CodingKey {
            case entryID = "entry_id"
            case message
        }
    }
    let svids: [SVID]
    let errors: [Failure]
}

struct AgentJWTInput: Decodable {
    let entryID: String
    /// One audience or several.
    let audience: JWTSVIDRoutes.Audience
    enum CodingKeys: String, CodingKey {
        case entryID = "entry_id"
        case audience
    }
}

struct AgentJWTOutput: Encodable {
    let token: String
    let spiffeID: String
    let expiresAt: Date
    enum CodingKeys: String, CodingKey {
        case token
        case spiffeID = "spiffe_id"
        case expiresAt = "expires_at"
    }
}

struct ReportedEventsInput: Decodable {
    struct Event: Decodable {
        let action: String
        let subject: String
        let outcome: AuditEvent.Outcome
        let reason: String?
        let details: [String: String]?
    }
    let events: [Event]
}

// MARK: Admin

struct JoinTokenCreateInput: Decodable {
    let ttl: FlexibleDuration?
    let spiffeID: String?
    enum CodingKeys: String, CodingKey {
        case ttl
        case spiffeID = "spiffe_id"
    }
}

struct JoinTokenCreateOutput: Encodable {
    let id: String
    /// The secret, shown only here.
    let token: String
    let spiffeID: String
    let expiresAt: Date
    enum CodingKeys: String, CodingKey {
        case id, token
        case spiffeID = "spiffe_id"
        case expiresAt = "expires_at"
    }
}

struct AgentList: Encodable {
    let agents: [AgentRecord]
}

struct EvictInput: Decodable {
    let spiffeID: String
    enum CodingKeys: String, CodingKey { case spiffeID = "spiffe_id" }
}
