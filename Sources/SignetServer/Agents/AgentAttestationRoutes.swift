import Foundation
import Hummingbird
import SignetCore
import SignetPKI

/// `/agent/v1/attest/...`: how a node without any Signet credential obtains its
/// agent SVID. Plain HTTPS (no client certificate): the proof is the join token,
/// or the signature over an x509pop challenge.
struct AgentAttestationRoutes {
    let authority: SignetAuthority

    func register(on group: RouterGroup<SignetRequestContext>) {
        group.post("join_token") { request, context in
            let input = try await request.decode(as: JoinTokenAttestInput.self, context: context)
            let (agentID, svid) = try await authority.attestWithJoinToken(token: input.token, csrPEM: input.csr)
            return try agentSVIDResponse(agentID, svid)
        }
        group.post("x509pop/challenge") { request, context in
            let input = try await request.decode(as: X509PoPChallengeInput.self, context: context)
            let (id, nonce) = try await authority.x509popChallenge(chainPEM: input.certificateChain)
            return try APIJSON.response(
                X509PoPChallengeOutput(challengeID: id, nonce: Data(nonce).base64EncodedString()),
                extraHeaders: [.cacheControl: "no-store"])
        }
        group.post("x509pop") { request, context in
            let input = try await request.decode(as: X509PoPAttestInput.self, context: context)
            let (agentID, svid) = try await authority.attestWithX509PoP(
                challengeID: input.challengeID, signatureBase64: input.signature, csrPEM: input.csr)
            return try agentSVIDResponse(agentID, svid)
        }
    }

    private func agentSVIDResponse(_ agentID: SPIFFEID, _ svid: IssuedX509SVID) throws -> Response {
        try APIJSON.response(
            AgentSVIDOutput(
                spiffeID: agentID.description, certificateChain: svid.chainPEM, bundle: authority.bundle.pem,
                notAfter: svid.certificate.notValidAfter),
            extraHeaders: [.cacheControl: "no-store"])
    }
}
