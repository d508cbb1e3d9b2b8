import Foundation
import Hummingbird
import SignetCore

/// Admin side of node agents, under `/v1` (admin mTLS): create join tokens, list
/// agents, evict one.
struct AgentAdminRoutes {
    let authority: SignetAuthority

    func register(on group: RouterGroup<SignetRequestContext>) {
        group.post("join-tokens") { request, context in
            let input = try await request.decode(as: JoinTokenCreateInput.self, context: context)
            let spiffeID = try input.spiffeID.map { try SPIFFEID($0) }
            let (token, secret) = try await authority.createJoinToken(
                ttl: input.ttl?.seconds, spiffeID: spiffeID, actor: context.actor)
            let output = JoinTokenCreateOutput(
                id: token.id, token: secret, spiffeID: try authority.agentID(for: token).description,
                expiresAt: token.expiresAt)
            return try APIJSON.response(output, status: .created, extraHeaders: [.cacheControl: "no-store"])
        }
        group.get("agents") { _, _ in
            // From the registry: it holds every stored agent plus the last-seen times of this run.
            try APIJSON.response(AgentList(agents: authority.agentRegistry.all()))
        }
        group.post("agents/evict") { request, context in
            let input = try await request.decode(as: EvictInput.self, context: context)
            let record = try await authority.evictAgent(try SPIFFEID(input.spiffeID), actor: context.actor)
            return try APIJSON.response(record)
        }
    }
}
