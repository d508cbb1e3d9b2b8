import Foundation
import SignetCore

/// How `signet agent run` starts.
public struct AgentConfiguration: Sendable {
    /// Base URL of the Signet server, e.g. `https://signet.internal:8443`.
    public var serverURL: String
    /// PEM roots to trust for the server's TLS certificate until the first sync delivers the bundle.
    public var trustBundlePath: String
    public var socketPath: String
    public var dataDirectory: String
    public var joinToken: String?
    /// x509pop: the node's certificate chain and key (PEM).
    public var x509popCertificatePath: String?
    public var x509popKeyPath: String?
    /// Long-poll wait the agent asks the server for.
    public var syncWait: Int
    /// First and maximum delay between retries while the server is unreachable.
    public var initialBackoff: Duration
    public var maxBackoff: Duration

    public init(serverURL: String, trustBundlePath: String, socketPath: String, dataDirectory: String) {
        self.serverURL = serverURL.hasSuffix("/") ? String(serverURL.dropLast()) : serverURL
        self.trustBundlePath = trustBundlePath
        self.socketPath = socketPath
        self.dataDirectory = dataDirectory
        syncWait = 30
        initialBackoff = .milliseconds(500)
        maxBackoff = .seconds(30)
    }

    var identityDirectory: String { dataDirectory + "/identity" }
    var svidDirectory: String { dataDirectory + "/svids" }
}
