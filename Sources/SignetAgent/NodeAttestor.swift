import Crypto
import _CryptoExtras
import Foundation
import SignetPKI
import X509

/// Proves this node's identity to the server and obtains the agent's first SVID.
/// The key in the CSR was generated here; only the CSR is sent.
protocol NodeAttestor: Sendable {
    var name: String { get }
    func attest(client: ServerClient, csrPEM: String) async throws -> IssuedSVIDResponse
}

/// A one-time join token created with `signet token create`.
struct JoinTokenAttestor: NodeAttestor {
    let token: String
    var name: String { "join_token" }

    func attest(client: ServerClient, csrPEM: String) async throws -> IssuedSVIDResponse {
        struct Body: Encodable {
            let token: String
            let csr: String
        }
        return try await client.call(
            .POST, "/agent/v1/attest/join_token", body: Body(token: token, csr: csrPEM), as: IssuedSVIDResponse.self)
    }
}

/// Proof of possession of a node certificate issued by a CA the server trusts: the node
/// signs a fresh server nonce with the certificate's key.
struct X509PopAttestor: NodeAttestor {
    let chainPEM: String
    let keyPEM: String
    var name: String { "x509pop" }

    func attest(client: ServerClient, csrPEM: String) async throws -> IssuedSVIDResponse {
        struct ChallengeRequest: Encodable {
            let certificateChain: String
            enum CodingKeys: String, CodingKey { case certificateChain = "certificate_chain" }
        }
        struct Challenge: Decodable {
            let challengeID: String
            let nonce: String
            enum CodingKeys: String, CodingKey {
                case challengeID = "challenge_id"
                case nonce
            }
        }
        struct Proof: Encodable {
            let challengeID: String
            let signature: String
            let csr: String
            enum CodingKeys: String, CodingKey {
                case challengeID = "challenge_id"
                case signature, csr
            }
        }
        let challenge = try await client.call(
            .POST, "/agent/v1/attest/x509pop/challenge", body: ChallengeRequest(certificateChain: chainPEM),
            as: Challenge.self)
        guard let nonce = Data(base64Encoded: challenge.nonce) else {
            throw AgentError.attestationFailed("server sent a malformed nonce")
        }
        let signature = try sign(nonce)
        return try await client.call(
            .POST, "/agent/v1/attest/x509pop",
            body: Proof(challengeID: challenge.challengeID, signature: signature.base64EncodedString(), csr: csrPEM),
            as: IssuedSVIDResponse.self)
    }

    /// ECDSA (DER signature) with the curve's hash, or RSA PKCS#1 v1.5 with SHA-256.
    private func sign(_ nonce: Data) throws -> Data {
        if let key = try? P256.Signing.PrivateKey(pemRepresentation: keyPEM) {
            return try key.signature(for: nonce).derRepresentation
        }
        if let key = try? P384.Signing.PrivateKey(pemRepresentation: keyPEM) {
            return try key.signature(for: nonce).derRepresentation
        }
        if let key = try? _RSA.Signing.PrivateKey(pemRepresentation: keyPEM) {
            return try key.signature(for: nonce, padding: .insecurePKCS1v1_5).rawRepresentation
        }
        throw AgentError.attestationFailed("x509pop key must be a P-256, P-384 or RSA private key in PEM")
    }
}
