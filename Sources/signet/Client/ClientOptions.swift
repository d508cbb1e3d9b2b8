import ArgumentParser
import Foundation

/// How a CLI command reaches the server. Defaults come from the data directory the
/// server wrote: its URL (`server.url`) and the bootstrap admin credential.
struct ClientOptions: ParsableArguments {
    @Option(help: "Server base URL (default: <data-dir>/server.url, else https://localhost:8443). Env: SIGNET_SERVER.")
    var server: String?

    @Option(help: "Data directory of a local server, for its URL and admin credential. Env: SIGNET_DATA_DIR.")
    var dataDir: String?

    @Option(help: "Client certificate chain (PEM) for mTLS (default: <data-dir>/admin/admin.pem).")
    var cert: String?

    @Option(help: "Client private key (PEM) for mTLS (default: <data-dir>/admin/admin.key).")
    var key: String?

    @Option(help: "CA bundle (PEM) to verify the server (default: <data-dir>/admin/bundle.pem).")
    var ca: String?

    var resolvedDataDir: String {
        dataDir ?? ProcessInfo.processInfo.environment["SIGNET_DATA_DIR"] ?? "./signet-data"
    }

    var resolvedServer: String {
        if let server { return server.hasSuffix("/") ? String(server.dropLast()) : server }
        if let env = ProcessInfo.processInfo.environment["SIGNET_SERVER"] { return env }
        if let written = try? String(contentsOfFile: resolvedDataDir + "/server.url", encoding: .utf8) {
            return written.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return "https://localhost:8443"
    }

    var certPath: String { cert ?? resolvedDataDir + "/admin/admin.pem" }
    var keyPath: String { key ?? resolvedDataDir + "/admin/admin.key" }
    var caPath: String { ca ?? resolvedDataDir + "/admin/bundle.pem" }
}

/// `--output table|json` on every listing.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table
    case json
}
