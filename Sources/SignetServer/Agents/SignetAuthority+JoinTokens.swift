import Crypto
import Foundation
import Hummingbird
import SignetCore
import SignetPKI
import SignetStore
import X509

/// The secret text of a join token and the two values derived from it.
///
/// The token is 32 random bytes (base64url) and never stored. Its public id is
/// derived from it (with a label, so the id says nothing about the stored
/// hash), which lets an agent send the token alone; the store keeps only the
/// token's SHA-256.
struct JoinTokenSecret: Sendable {
    let text: String

    static func generate() -> JoinTokenSecret {
        var rng = SystemRandomNumberGenerator()
        return JoinTokenSecret(text: Base64URL.encode((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &rng) }))
    }

    /// 16 hex digits: short enough for IDs and logs, and no collisions among real numbers of tokens.
    var id: String {
        String(Fingerprint.hex(SHA256.hash(data: Array("signet join token id\u{0}\(text)".utf8))).prefix(16))
    }

    var hash: String { Fingerprint.hex(SHA256.hash(data: Array(text.utf8))) }

    /// Tokens Signet creates are exactly 43 base64url characters; anything else cannot be one.
    var isWellFormed: Bool { text.utf8.count == 43 && Base64URL.decode(text)?.count == 32 }
}

extension SignetAuthority {
    /// Creates a one-time join token; returns the record and the secret, which exists only in this answer.
    func createJoinToken(ttl: Int?, spiffeID: SPIFFEID?, actor: String) async throws -> (JoinToken, String) {
        let ttl = ttl ?? AgentSettings.defaultJoinTokenTTL
        guard (1...AgentSettings.maxJoinTokenTTL).contains(ttl) else {
            throw APIError.badRequest(
                "ttl must be between 1s and \(Lifetime.format(AgentSettings.maxJoinTokenTTL)) (default \(Lifetime.format(AgentSettings.defaultJoinTokenTTL)))")
        }
        if let spiffeID {
            let problems = joinTokenIDProblems(spiffeID)
            guard problems.isEmpty else {
                await recordAgentEvent(
                    actor, "join_token.create", spiffeID.description, .denied, problems.joined(separator: "; "))
                throw APIError.policy(problems)
            }
        }
        let secret = JoinTokenSecret.generate()
        let now = Date()
        let token = JoinToken(
            id: secret.id, secretHash: secret.hash, spiffeID: spiffeID, createdBy: actor, createdAt: now,
            expiresAt: now.addingTimeInterval(TimeInterval(ttl)))
        var details = ["expires_at": ISO8601DateFormatter().string(from: token.expiresAt)]
        details["spiffe_id"] = spiffeID?.description ?? "spiffe://\(trustDomain.name)/signet/agent/join_token/\(token.id)"
        try await store.createJoinToken(
            token,
            event: AuditEvent(
                actor: actor, action: "join_token.create", subject: token.id, outcome: .success, details: details))
        return (token, secret.text)
    }

    /// The agent ID a join token grants.
    func agentID(for token: JoinToken) throws -> SPIFFEID {
        try token.spiffeID ?? agentID(type: "join_token", name: token.id)
    }

    /// An explicit agent ID must be in the trust domain, have a path, stay out of Signet's
    /// reserved paths except `/signet/agent/...`, and not be an admin ID (an agent must not get admin rights).
    private func joinTokenIDProblems(_ id: SPIFFEID) -> [String] {
        var problems: [String] = []
        if id.trustDomain != trustDomain {
            problems.append("SPIFFE ID \(id) is not in this server's trust domain '\(trustDomain)'")
        }
        if id.path.isEmpty { problems.append("SPIFFE ID \(id) has no path; agents need one such as /signet/agent/web-1") }
        let reserved = GovernancePolicy.reservedPathPrefix
        if id.path == reserved || (id.path.hasPrefix(reserved + "/") && !id.path.hasPrefix(reserved + "/agent/")) {
            problems.append("paths under \(reserved)/ are reserved for Signet's own identities (agents may use \(reserved)/agent/...)")
        }
        if isAdmin(id) { problems.append("\(id) is an admin identity and cannot be given to an agent") }
        return problems
    }

    /// Join-token attestation: a valid CSR and an unused, unexpired token yield the agent's SVID.
    /// The token is spent only when everything else is in order (a bad CSR leaves it usable).
    func attestWithJoinToken(token text: String, csrPEM: String) async throws -> (SPIFFEID, IssuedX509SVID) {
        let secret = JoinTokenSecret(text: text.trimmingCharacters(in: .whitespacesAndNewlines))
        let subject = secret.isWellFormed ? secret.id : "join_token"
        let publicKey: Certificate.PublicKey
        do {
            publicKey = try CSRValidator.publicKey(fromPEM: csrPEM)
        } catch {
            throw await refuseAttestation(
                type: "join_token", subject: subject, reason: error.description, status: .badRequest, code: "bad_csr")
        }
        let unknown = "unknown join token: check that it was copied completely, or create a new one with `signet token create`"
        guard secret.isWellFormed, let stored = try await store.joinToken(id: secret.id), stored.secretHash == secret.hash
        else {
            throw await refuseAttestation(type: "join_token", subject: subject, reason: unknown)
        }
        let agentID = try agentID(for: stored)
        let now = Date()
        do {
            _ = try await store.consumeJoinToken(
                id: stored.id, secretHash: secret.hash, agentID: agentID, now: now,
                event: AuditEvent(
                    actor: agentID.description, action: "join_token.use", subject: stored.id, outcome: .success,
                    details: ["spiffe_id": agentID.description]))
        } catch StoreError.notFound {
            throw await refuseAttestation(type: "join_token", subject: subject, reason: unknown)
        } catch StoreError.conflict {
            let current = try await store.joinToken(id: stored.id) ?? stored
            let reason =
                current.usedAt != nil
                ? "join token already used: create a new one with `signet token create`"
                : "join token expired at \(ISO8601DateFormatter().string(from: current.expiresAt)): create a new one with `signet token create`"
            throw await refuseAttestation(type: "join_token", subject: stored.id, reason: reason)
        }
        let selector = try Selector(type: "join_token", value: stored.id)
        let svid = try await completeAttestation(
            agentID: agentID, attestationType: "join_token", selectors: [selector], publicKey: publicKey,
            details: ["join_token": stored.id])
        return (agentID, svid)
    }
}
