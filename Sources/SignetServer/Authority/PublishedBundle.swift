import SignetCore
import SignetPKI

/// The trust bundle as served, encoded once per change rather than per request:
/// `/bundle` is polled by every agent and federated peer.
public struct PublishedBundle: Sendable {
    public let bundle: TrustBundle
    public let spiffeJSON: [UInt8]
    public let jwksJSON: [UInt8]
    public let pem: String

    public var sequence: Int64 { bundle.sequence }
    public var refreshHint: Int { bundle.refreshHint }

    init(_ bundle: TrustBundle) throws {
        self.bundle = bundle
        spiffeJSON = try bundle.spiffeJSON()
        jwksJSON = try bundle.jwksJSON()
        pem = try PEM.encode(bundle.x509Authorities)
    }
}
