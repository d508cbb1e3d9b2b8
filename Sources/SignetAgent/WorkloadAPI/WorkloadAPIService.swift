import Foundation
import GRPCCore
import Logging
import SignetCore
import SwiftProtobuf
import Synchronization

/// The SPIFFE Workload API (`/SpiffeWorkloadAPI/<Method>`) over a ``NodeAgent``'s published
/// snapshots.
///
/// Every call must carry `workload.spiffe.io: true`; the caller is identified by the kernel
/// (see ``TrustedPeerHeaders``) and gets exactly the identities whose entries' selectors are
/// all among its own. Streams send the complete current state at once and again whenever it
/// changes for this caller; refusals are reported to the server's event log.
///
/// Status codes follow the standard: InvalidArgument (bad request, do not retry), Unavailable
/// (agent not ready or server unreachable, retry), PermissionDenied (no identity for this caller).
public struct WorkloadAPIService: SpiffeWorkloadAPI.ServiceProtocol {
    let agent: NodeAgent
    let logger: Logger
    let denials: DenialReporter
    let shutdown = StreamShutdown()

    public init(agent: NodeAgent, logger: Logger) {
        self.agent = agent
        self.logger = logger
        self.denials = DenialReporter(agent: agent)
    }

    /// Ends every open stream with Unavailable and refuses new ones: the server is stopping.
    public func closeStreams() {
        shutdown.close()
    }

    // MARK: X.509

    public func fetchX509SVID(
        request: ServerRequest<X509SVIDRequest>, context: ServerContext
    ) async throws -> StreamingServerResponse<X509SVIDResponse> {
        try Self.requireSecurityHeader(request.metadata)
        let caller = try attestedCaller()
        return try stream(method: "FetchX509SVID", caller: caller, context: context) { snapshot in
            snapshot.x509SVIDResponse(for: caller.selectors)
        }
    }

    /// Requires an identity, as SPIRE does: trust anchors are for workloads the agent serves.
    public func fetchX509Bundles(
        request: ServerRequest<X509BundlesRequest>, context: ServerContext
    ) async throws -> StreamingServerResponse<X509BundlesResponse> {
        try Self.requireSecurityHeader(request.metadata)
        let caller = try attestedCaller()
        return try stream(method: "FetchX509Bundles", caller: caller, context: context) { snapshot in
            snapshot.matchingEntries(for: caller.selectors).isEmpty
                ? nil : snapshot.x509BundlesResponse(for: caller.selectors)
        }
    }

    /// Requires an identity, like FetchX509Bundles (and SPIRE without unauthenticated verifiers).
    public func fetchJWTBundles(
        request: ServerRequest<JWTBundlesRequest>, context: ServerContext
    ) async throws -> StreamingServerResponse<JWTBundlesResponse> {
        try Self.requireSecurityHeader(request.metadata)
        let caller = try attestedCaller()
        return try stream(method: "FetchJWTBundles", caller: caller, context: context) { snapshot in
            snapshot.matchingEntries(for: caller.selectors).isEmpty
                ? nil : snapshot.jwtBundlesResponse(for: caller.selectors)
        }
    }

    /// A stream of `build(snapshot)`: the first message at once, then a new one whenever a new
    /// snapshot changes it. `build` returning nil means the caller has no identity (any more):
    /// the call ends with PermissionDenied.
    ///
    /// Subscribes before reading the current snapshot so no change in between is missed; a slow
    /// reader skips intermediate snapshots (the publisher buffers only the newest). Ends quietly
    /// when the client cancels, as one-shot clients (py-spiffe) do after the first message, and
    /// with Unavailable when the server shuts down.
    func stream<Message: SwiftProtobuf.Message & Equatable>(
        method: String, caller: Caller, context: ServerContext, build: @escaping @Sendable (AgentSnapshot) -> Message?
    ) throws -> StreamingServerResponse<Message> {
        let updates = agent.publisher.updates()
        let snapshot = try currentSnapshot()
        guard let first = build(snapshot) else { throw denials.deny(method: method, caller: caller) }
        let shutdown = shutdown
        let denials = denials
        return StreamingServerResponse { writer in
            try await withThrowingTaskGroup(of: Void.self) { group in
                // gRPC reports a client's cancellation through this handle, not by cancelling the task.
                group.addTask { try? await context.cancellation.cancelled }
                group.addTask {
                    await shutdown.wait()
                    if !Task.isCancelled {
                        throw RPCError(code: .unavailable, message: "agent is shutting down; reconnect")
                    }
                }
                group.addTask {
                    try await writer.write(first)
                    var last = first
                    for await snapshot in updates {
                        guard let next = build(snapshot) else {
                            throw denials.deny(method: method, caller: caller, reason: "no identity issued any more")
                        }
                        if next != last {
                            try await writer.write(next)
                            last = next
                        }
                    }
                }
                // Whichever ends first (client gone, identity lost, shutdown, write failed) ends the stream.
                try await group.next()
                group.cancelAll()
            }
            return [:]
        }
    }

    // MARK: Shared checks

    /// The standard's guard against server-side request forgery: a browser or proxy tricked
    /// into calling the socket cannot add this header.
    static func requireSecurityHeader(_ metadata: Metadata) throws {
        var values = metadata[stringValues: "workload.spiffe.io"].makeIterator()
        guard values.next() == "true", values.next() == nil else {
            throw RPCError(
                code: .invalidArgument, message: "security header missing from request: send metadata workload.spiffe.io: true")
        }
    }

    func currentSnapshot() throws -> AgentSnapshot {
        guard let snapshot = agent.publisher.current else {
            throw RPCError(code: .unavailable, message: "agent is starting: it has not synced with the server yet; retry")
        }
        return snapshot
    }

    /// The attested caller of the current RPC (set by ``WorkloadPeerInterceptor``).
    func attestedCaller() throws -> Caller {
        guard let peer = WorkloadPeer.current else {
            throw RPCError(
                code: .permissionDenied,
                message: "the caller could not be identified: the Workload API is only served over the agent's Unix socket")
        }
        switch peer.attestation {
        case .success(let selectors):
            return Caller(peer: peer, selectors: Set(selectors))
        case .failure(let error):
            throw RPCError(code: .permissionDenied, message: "workload attestation failed: \(error.message)")
        }
    }

    /// An attested caller: who it is and what it may be matched on.
    struct Caller: Sendable {
        let peer: WorkloadPeer
        let selectors: Set<Selector>

        /// The selector value of `kind` (e.g. "path"), for event details.
        func first(_ kind: String) -> String? {
            selectors.sorted().first { $0.type == "unix" && $0.value.hasPrefix(kind + ":") }
                .map { String($0.value.dropFirst(kind.count + 1)) }
        }
    }
}

/// Reports refusals to the server's event log, at most once a minute per (method, uid, executable):
/// a client retrying in a loop must not flood the log or push other events out of the bounded queue.
final class DenialReporter: Sendable {
    private let agent: NodeAgent
    private let recent = Mutex<[String: Date]>([:])
    static let interval: TimeInterval = 60

    init(agent: NodeAgent) {
        self.agent = agent
    }

    func deny(
        method: String, caller: WorkloadAPIService.Caller, reason: String = "no identity issued", now: Date = Date()
    ) -> RPCError {
        let uid = caller.peer.credentials.map { String($0.uid) } ?? "?"
        let path = caller.first("path") ?? ""
        let key = "\(method)|\(uid)|\(path)"
        let report = recent.withLock { recent -> Bool in
            if let last = recent[key], now.timeIntervalSince(last) < Self.interval { return false }
            if recent.count >= 10_000 { recent = recent.filter { now.timeIntervalSince($0.value) < Self.interval } }
            recent[key] = now
            return true
        }
        if report {
            var details = ["method": method, "uid": uid]
            if let credentials = caller.peer.credentials {
                details["pid"] = String(credentials.pid)
                details["gid"] = String(credentials.gid)
            }
            if !path.isEmpty { details["path"] = path }
            details["selectors"] = String(caller.selectors.sorted().map(\.description).joined(separator: " ").prefix(2000))
            agent.reportDenial(subject: "unix:uid:\(uid)", reason: reason, details: details)
        }
        return RPCError(code: .permissionDenied, message: reason)
    }
}
