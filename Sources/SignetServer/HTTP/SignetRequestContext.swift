import Foundation
import Hummingbird
import Logging
import NIOCore
import SignetCore

/// Per-request state. It keeps the connection's channel so the admin
/// middleware can read the TLS peer's validated certificate, and carries the
/// authenticated caller from that middleware to the route.
public struct SignetRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let channel: any Channel
    /// The caller's SPIFFE ID once the admin middleware has authenticated it.
    public var caller: SPIFFEID?
    public var maxUploadSize: Int

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
        caller = nil
        maxUploadSize = 64 * 1024
    }

    public var requestDecoder: JSONDecoder { APIJSON.decoder }
    public var responseEncoder: JSONEncoder { APIJSON.encoder }

    /// The actor name recorded in events.
    public var actor: String { caller?.description ?? "anonymous" }
}
