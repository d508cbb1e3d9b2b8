import Foundation
import Hummingbird
import NIOCore
import NIOSSL
import SignetCore
import Synchronization
import X509

/// Guards the agent API (`/agent/v1` except attestation): the caller must present an
/// X.509-SVID of this trust domain (checked during the TLS handshake) whose SPIFFE ID
/// is an attested, non-evicted agent. The registry is in memory, so this costs no
/// database read. No certificate: 401; not an agent: 401; evicted: 403. Each
/// refusal is an `agent.denied` event.
///
/// An SVID issued before the agent's latest attestation is refused too (401): when
/// an evicted ID attests again (a new join token naming the same ID), the evicted
/// node's still-unexpired SVID must not come back to life with it. Renewed SVIDs
/// are issued after the attestation, so they pass.
struct AgentAuthMiddleware: RouterMiddleware {
    typealias Context = SignetRequestContext
    let authority: SignetAuthority

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        var context = context
        context.maxUploadSize = authority.configuration.maxRequestBodyBytes
        guard authority.agentRegistry.isLoaded, authority.entryIndex.isLoaded else {
            throw APIError(.serviceUnavailable, "starting", "the server is still starting; retry shortly")
        }
        guard let peer = await Self.peer(of: context.channel) else {
            await deny("anonymous", request, "no client certificate")
            throw APIError.unauthenticated(
                "the agent API requires mTLS with the agent's X.509-SVID; attest first at /agent/v1/attest/...")
        }
        let caller = peer.id
        guard let agent = authority.agentRegistry.agent(caller) else {
            await deny(caller.description, request, "not an attested agent")
            throw APIError.unauthenticated("\(caller) is not an attested agent of this server; attest first")
        }
        guard !agent.evicted else {
            await deny(caller.description, request, "agent is evicted")
            throw APIError.forbidden("agent \(caller) was evicted; it must attest again with a new join token")
        }
        guard peer.notBefore >= agent.attestedAt.addingTimeInterval(-Self.issuanceSlack) else {
            await deny(caller.description, request, "SVID predates the agent's latest attestation")
            throw APIError.unauthenticated(
                "this SVID was issued before \(caller) last attested; use the SVID from the latest attestation or renewal")
        }
        authority.agentRegistry.touch(caller)
        context.caller = caller
        return try await next(request, context)
    }

    /// An attestation's SVID is issued at the recorded attestation time, backdated 30 s by the CA,
    /// and X.509 keeps whole seconds; anything older by more than that came before the attestation.
    static let issuanceSlack: TimeInterval = 32

    /// What the middleware needs from the client certificate the TLS handshake validated.
    struct Peer: Sendable {
        let id: SPIFFEID
        let notBefore: Date
    }

    /// A connection's certificate cannot change after the handshake, so it is parsed once per
    /// connection (agents keep theirs open for long polls) and forgotten when the connection closes.
    private static let peers = Mutex<[ObjectIdentifier: Peer?]>([:])

    static func peer(of channel: any Channel) async -> Peer? {
        let key = ObjectIdentifier(channel)
        if let cached = peers.withLock({ $0[key] }) { return cached }
        var peer: Peer?
        if let certificate = try? await channel.nioSSL_peerCertificate().get(),
            let parsed = try? Certificate(derEncoded: try certificate.toDERBytes()),
            let id = PeerIdentity.spiffeID(in: parsed)
        {
            peer = Peer(id: id, notBefore: parsed.notValidBefore)
        }
        let inserted = peers.withLock { map -> Bool in
            guard map[key] == nil else { return false }
            map[key] = .some(peer)
            return true
        }
        if inserted {
            channel.closeFuture.whenComplete { _ in _ = peers.withLock { $0.removeValue(forKey: key) } }
        }
        return peer
    }

    private func deny(_ actor: String, _ request: Request, _ reason: String) async {
        await authority.recordAgentEvent(actor, "agent.denied", request.uri.path, .denied, reason)
    }
}
