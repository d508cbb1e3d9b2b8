import ArgumentParser
import Foundation
import Logging
import SignetCore
import SignetPKI
import SignetServer

struct ServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server",
        abstract: "Run the trust domain's CA and HTTPS API.",
        discussion: """
            On first start creates the CA (root + name-constrained intermediate), JWT signing key,
            SQLite database, the server's TLS certificate and the bootstrap admin credential
            (<data-dir>/admin/admin.pem and admin.key, mode 0600) in the data directory.
            Flags override the configuration file. Stops gracefully on SIGTERM or SIGINT.
            """)

    @Option(help: "TOML configuration file (see README: Configuration).")
    var config: String?

    @Option(help: "Data directory (default ./signet-data).")
    var dataDir: String?

    @Option(help: "Listen address HOST:PORT (default 127.0.0.1:8443; port 0 picks a free port).")
    var listen: String?

    @Option(help: "Trust domain, e.g. example.org (default signet.internal).")
    var trustDomain: String?

    @Option(help: "Public base URL used as OIDC issuer (default https://localhost:<port>).")
    var publicURL: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: String?

    func run() async throws {
        var configuration = try config.map { try ServerConfiguration.load(tomlFile: $0) } ?? ServerConfiguration()
        if let dataDir { configuration.dataDirectory = dataDir }
        if let listen {
            guard let (host, port) = ServerConfiguration.parseListen(listen) else {
                throw ValidationError("--listen '\(listen)' must be HOST:PORT, e.g. 127.0.0.1:8443")
            }
            configuration.listenHost = host
            configuration.listenPort = port
        }
        if let trustDomain {
            do {
                configuration.trustDomain = try TrustDomain(trustDomain)
            } catch {
                throw ValidationError("--trust-domain: \(error.description)")
            }
        }
        if let publicURL { configuration.publicURL = publicURL }
        if let logLevel { configuration.logLevel = logLevel }
        guard let level = Logger.Level(rawValue: configuration.logLevel) else {
            throw ValidationError("log level '\(configuration.logLevel)' must be one of trace, debug, info, notice, warning, error")
        }
        var logger = Logger(label: "signet")
        logger.logLevel = level
        let dataDirectory = configuration.dataDirectory
        let host = configuration.listenHost
        try await SignetServer.run(configuration: configuration, logger: logger) { port in
            let displayHost = host.contains(":") ? "[\(host)]" : host
            let url = "https://\(displayHost == "0.0.0.0" ? "localhost" : displayHost):\(port)"
            try? SecureFile.write(url + "\n", to: dataDirectory + "/server.url", mode: 0o644)
            // Unbuffered: scripts and tests wait for this line on a pipe.
            FileHandle.standardOutput.write(Data("signet server listening on \(url) (data: \(dataDirectory))\n".utf8))
        }
    }
}
