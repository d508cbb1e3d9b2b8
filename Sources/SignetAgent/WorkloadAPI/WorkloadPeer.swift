import GRPCCore
import SignetCore

/// The caller of the current Workload API RPC, as the kernel and the attestor see it.
///
/// Set for the duration of each handler by ``WorkloadPeerInterceptor``; handlers read it with
/// `WorkloadPeer.current`. A task-local (rather than request metadata) keeps it out of reach of
/// anything the client sends.
public struct WorkloadPeer: Sendable, CustomStringConvertible {
    /// nil when the kernel could not say who connected.
    public let credentials: PeerCredentials?
    /// The caller's selectors, or why it could not be attested.
    public let attestation: Result<[Selector], WorkloadAttestationError>

    @TaskLocal public static var current: WorkloadPeer?

    public init(credentials: PeerCredentials?, attestation: Result<[Selector], WorkloadAttestationError>) {
        self.credentials = credentials
        self.attestation = attestation
    }

    public var description: String {
        guard let credentials else { return "unidentified caller" }
        return credentials.description
    }
}

/// Moves the trusted peer headers written by ``TrustedPeerHeaderHandler`` into
/// `WorkloadPeer.current` and removes them from the metadata handlers see.
///
/// Headers count only when they carry this server's seal, so the service cannot be tricked into
/// trusting client-sent headers even if it were ever served without the stripping handler.
struct WorkloadPeerInterceptor: ServerInterceptor {
    let headers: TrustedPeerHeaders

    func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingServerRequest<Input>,
        context: ServerContext,
        next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
    ) async throws -> StreamingServerResponse<Output> {
        var request = request
        let peer = headers.peer(from: request.metadata)
        TrustedPeerHeaders.strip(&request.metadata)
        return try await WorkloadPeer.$current.withValue(peer) {
            try await next(request, context)
        }
    }
}
