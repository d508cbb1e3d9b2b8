import Hummingbird
import SignetCore

/// Guards `/v1`: the caller must present an X.509-SVID of this trust domain
/// (checked during the TLS handshake) whose SPIFFE ID is an admin ID.
/// Refusals are 401 (no certificate) or 403 (not an admin) and change nothing;
/// each refusal is recorded as an event.
struct AdminAuthMiddleware: RouterMiddleware {
    typealias Context = SignetRequestContext
    let authority: SignetAuthority

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        var context = context
        context.maxUploadSize = authority.configuration.maxRequestBodyBytes
        let caller: SPIFFEID?
        do {
            caller = try await PeerIdentity.spiffeID(of: context.channel)
        } catch {
            caller = nil
        }
        guard let caller else {
            await authority.recordDenial(actor: "anonymous", path: request.uri.path, reason: "no client certificate")
            throw APIError.unauthenticated(
                "the admin API requires mTLS with an admin X.509-SVID; the CLI uses <data-dir>/admin/admin.pem by default")
        }
        guard authority.isAdmin(caller) else {
            await authority.recordDenial(actor: caller.description, path: request.uri.path, reason: "not an admin identity")
            throw APIError.forbidden("\(caller) is not an admin identity of this server")
        }
        context.caller = caller
        return try await next(request, context)
    }
}
