import Foundation
import GRPCCore
import SignetCore
import SignetPKI

extension WorkloadAPIService {
    /// One JWT-SVID per identity the caller may have (the first is its default), or only the
    /// requested one. Tokens come from the agent's cache or the server; while the server is
    /// unreachable, unexpired cached tokens are served and otherwise the call is Unavailable.
    public func fetchJWTSVID(
        request: ServerRequest<JWTSVIDRequest>, context: ServerContext
    ) async throws -> ServerResponse<JWTSVIDResponse> {
        try Self.requireSecurityHeader(request.metadata)
        let audience = request.message.audience.filter { !$0.isEmpty }
        guard !audience.isEmpty else {
            throw RPCError(code: .invalidArgument, message: "audience must be specified")
        }
        guard audience.count <= 32, audience.allSatisfy({ $0.utf8.count <= 512 }) else {
            throw RPCError(code: .invalidArgument, message: "at most 32 audiences of at most 512 bytes each")
        }
        var requested: SPIFFEID?
        if !request.message.spiffeID.isEmpty {
            do {
                requested = try SPIFFEID(request.message.spiffeID)
            } catch {
                throw RPCError(code: .invalidArgument, message: "invalid requested SPIFFE ID: \(error)")
            }
        }
        let caller = try attestedCaller()
        let snapshot = try currentSnapshot()

        var seen = Set<SPIFFEID>()
        let entries = snapshot.matchingEntries(for: caller.selectors).filter { entry in
            (requested == nil || entry.spiffeID == requested) && seen.insert(entry.spiffeID).inserted
        }
        guard !entries.isEmpty else {
            let reason = requested.map { "no identity issued for \($0)" } ?? "no identity issued"
            throw denials.deny(method: "FetchJWTSVID", caller: caller, reason: reason)
        }

        let tokens = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for (index, entry) in entries.enumerated() {
                group.addTask { (index, try await mint(entry, audience: audience)) }
            }
            var tokens = [String](repeating: "", count: entries.count)
            for try await (index, token) in group { tokens[index] = token }
            return tokens
        }
        var response = JWTSVIDResponse()
        response.svids = zip(entries, tokens).map { entry, token in
            var svid = JWTSVID()
            svid.spiffeID = entry.spiffeID.description
            svid.svid = token
            return svid
        }
        return ServerResponse(message: response)
    }

    /// Mints through the agent, translating its failures into the codes clients act on.
    private func mint(_ entry: RegistrationEntry, audience: [String]) async throws -> String {
        do {
            return try await agent.jwtSVID(for: entry, audience: audience)
        } catch let failure as ServerClient.Failure {
            switch failure.status {
            case 403:
                // The server no longer lets this agent serve the entry (removed since the last sync).
                throw RPCError(code: .permissionDenied, message: "no identity issued for \(entry.spiffeID): \(failure.message)")
            case 400:
                throw RPCError(code: .invalidArgument, message: failure.message)
            default:
                logger.warning("cannot mint a JWT-SVID", metadata: ["spiffe_id": "\(entry.spiffeID)", "error": "\(failure)"])
                throw RPCError(
                    code: .unavailable,
                    message: "cannot mint a JWT-SVID for \(entry.spiffeID) now (server unreachable, none cached); retry")
            }
        } catch is CancellationError {
            throw RPCError(code: .cancelled, message: "cancelled")
        } catch {
            throw RPCError(
                code: .unavailable, message: "cannot mint a JWT-SVID for \(entry.spiffeID) now: \(error); retry")
        }
    }

    /// A verifier with the keys of the trust domain the token's (unverified) `sub` names: a federated
    /// domain this node holds a bundle for, else the own domain. The verifier accepts only subjects of
    /// that domain and only its keys, so the unverified choice cannot widen trust; bundles are never merged.
    static func verifier(for token: String, snapshot: AgentSnapshot) throws -> JWTVerifier {
        if let unverified = try? JWTVerifier.decodeUnverified(token), case .string(let sub)? = unverified.payload["sub"],
            let id = try? SPIFFEID(sub), let federated = snapshot.federatedBundles[id.trustDomain]
        {
            return try JWTVerifier(trustDomain: id.trustDomain, keys: federated.jwtKeys)
        }
        return try JWTVerifier(trustDomain: snapshot.trustDomain, keys: snapshot.jwtKeys)
    }

    /// Validates a JWT-SVID of this trust domain, or of a federated one whose bundle this node holds,
    /// against that domain's JWT keys and returns
    /// its SPIFFE ID and all its claims. Needs the security header but no identity (as SPIRE).
    public func validateJWTSVID(
        request: ServerRequest<ValidateJWTSVIDRequest>, context: ServerContext
    ) async throws -> ServerResponse<ValidateJWTSVIDResponse> {
        try Self.requireSecurityHeader(request.metadata)
        guard !request.message.audience.isEmpty else {
            throw RPCError(code: .invalidArgument, message: "audience must be specified")
        }
        guard !request.message.svid.isEmpty else {
            throw RPCError(code: .invalidArgument, message: "svid must be specified")
        }
        let snapshot = try currentSnapshot()
        let verifier: JWTVerifier
        do {
            verifier = try Self.verifier(for: request.message.svid, snapshot: snapshot)
        } catch {
            throw RPCError(code: .internalError, message: "the trust bundle's JWT keys are unusable: \(error)")
        }
        let verified: VerifiedJWT
        do {
            verified = try verifier.verify(token: request.message.svid, audience: request.message.audience)
        } catch {
            throw RPCError(code: .invalidArgument, message: "invalid JWT-SVID: \(error)")
        }
        var response = ValidateJWTSVIDResponse()
        response.spiffeID = verified.spiffeID.description
        response.claims = verified.claimsStruct
        return ServerResponse(message: response)
    }
}
