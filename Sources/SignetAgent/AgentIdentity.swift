import Foundation
import SignetCore
import SignetPKI
import X509

/// The agent's own X.509-SVID, used for mTLS to the server. Persisted (key 0600) so a
/// restarted agent keeps its identity without attesting again (a join token is single-use).
struct AgentIdentity: Sendable {
    let spiffeID: SPIFFEID
    let chainPEM: String
    let keyPEM: String
    let notBefore: Date
    let notAfter: Date

    /// Half-way between when it became usable here and its expiry (notBefore is backdated by the CA).
    var renewAt: Date {
        let start = max(notBefore, loadedAt)
        return start.addingTimeInterval(notAfter.timeIntervalSince(start) / 2)
    }
    let loadedAt = Date()

    init(chainPEM: String, keyPEM: String) throws {
        let chain = try PEM.certificates(from: chainPEM)
        guard let leaf = chain.first, case .success(let id) = SPIFFEVerifierPolicy.spiffeID(of: leaf) else {
            throw AgentError.invalidState("agent certificate has no SPIFFE ID")
        }
        _ = try PEM.privateKey(from: keyPEM)
        spiffeID = id
        self.chainPEM = chainPEM
        self.keyPEM = keyPEM
        notBefore = leaf.notValidBefore
        notAfter = leaf.notValidAfter
    }

    static func load(directory: String) -> AgentIdentity? {
        guard let chain = try? SecureFile.read(directory + "/agent.pem"), let key = try? SecureFile.read(directory + "/agent.key")
        else { return nil }
        return try? AgentIdentity(chainPEM: chain, keyPEM: key)
    }

    func save(directory: String) throws {
        try SecureFile.makeDirectory(directory)
        try SecureFile.write(keyPEM, to: directory + "/agent.key")
        try SecureFile.write(chainPEM, to: directory + "/agent.pem")
    }
}

/// Errors the agent reports to its operator.
public enum AgentError: Error, CustomStringConvertible {
    case attestationFailed(String)
    case invalidState(String)
    case evicted(String)

    public var description: String {
        switch self {
        case .attestationFailed(let s): "node attestation failed: \(s)"
        case .invalidState(let s): s
        case .evicted(let s): "the server refuses this agent (\(s)); it may have been evicted: attest again with a new join token"
        }
    }
}
