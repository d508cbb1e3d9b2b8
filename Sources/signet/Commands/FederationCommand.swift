import ArgumentParser
import Foundation

/// `signet federation ...`: trust other SPIFFE trust domains by fetching their bundles.
struct FederationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "federation",
        abstract: "Federate with other SPIFFE trust domains: fetch and keep their trust bundles.",
        discussion: """
            The server polls each peer's bundle endpoint at the peer's refresh hint and keeps every
            domain's bundle apart. Entries that list a domain in --federates-with hand its bundle to
            their workloads, which can then verify that domain's X.509-SVIDs and JWT-SVIDs.
            """,
        subcommands: [Add.self, List.self, Show.self, Delete.self, Refresh.self])

    enum Profile: String, ExpressibleByArgument, CaseIterable {
        case httpsWeb = "https_web"
        case httpsSPIFFE = "https_spiffe"
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add (or replace) a federation relationship and fetch the peer's bundle once.")
        @OptionGroup var client: ClientOptions
        @Option(help: "The peer's trust domain, e.g. other.org (taken from here, never from the URL).")
        var trustDomain: String
        @Option(help: "The peer's SPIFFE bundle endpoint, an https:// URL.") var bundleEndpoint: String
        @Option(help: "How the endpoint is authenticated: https_web (Web PKI) or https_spiffe (the peer's SVID).")
        var profile: Profile
        @Option(
            name: .customLong("endpoint-spiffe-id"),
            help: "https_spiffe: the SPIFFE ID the endpoint's server presents, e.g. spiffe://other.org/signet/server.")
        var endpointSPIFFEID: String?
        @Option(help: "https_spiffe: file with the peer's SPIFFE bundle JSON (e.g. saved from its /bundle), trusted until the first fetch.")
        var bootstrapBundle: String?
        @Option(help: "Output format.") var output: OutputFormat = .table

        func validate() throws {
            if profile == .httpsSPIFFE && (endpointSPIFFEID == nil || bootstrapBundle == nil) {
                throw ValidationError("--profile https_spiffe needs --endpoint-spiffe-id and --bootstrap-bundle")
            }
            if profile == .httpsWeb && endpointSPIFFEID != nil {
                throw ValidationError("--endpoint-spiffe-id applies only to --profile https_spiffe")
            }
        }

        func run() async throws {
            var body: [String: Any] = [
                "trust_domain": trustDomain, "bundle_endpoint_url": bundleEndpoint, "profile": profile.rawValue,
            ]
            if let endpointSPIFFEID { body["endpoint_spiffe_id"] = endpointSPIFFEID }
            if let bootstrapBundle {
                do {
                    body["bootstrap_bundle"] = try String(contentsOfFile: bootstrapBundle, encoding: .utf8)
                } catch {
                    throw ValidationError("cannot read --bootstrap-bundle \(bootstrapBundle): \(error.localizedDescription)")
                }
            }
            let data = try await withAdminClient(client) { try await $0.sendJSON(.POST, "/v1/federations", body: body) }
            try FederationPrinter.printOne(data, format: output)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List federated trust domains with their last fetch, bundle sequence and last error.")
        @OptionGroup var client: ClientOptions
        @Option(help: "Output format.") var output: OutputFormat = .table

        func run() async throws {
            let data = try await withAdminClient(client) { try await $0.send(.GET, "/v1/federations") }
            try FederationPrinter.printList(data, format: output)
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one federation relationship and its bundle state.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "The peer's trust domain.") var trustDomain: String
        @Option(help: "Output format.") var output: OutputFormat = .table

        func run() async throws {
            let data = try await withAdminClient(client) {
                try await $0.send(.GET, "/v1/federations/" + pathEscape(trustDomain))
            }
            try FederationPrinter.printOne(data, format: output)
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop federating: the peer's bundle is dropped and its SVIDs no longer validate.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "The peer's trust domain.") var trustDomain: String

        func run() async throws {
            _ = try await withAdminClient(client) {
                try await $0.send(.DELETE, "/v1/federations/" + pathEscape(trustDomain))
            }
            print("deleted federation with \(trustDomain)")
        }
    }

    struct Refresh: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fetch the peer's bundle now; exits 1 when the fetch failed (the previous bundle stays in use).")
        @OptionGroup var client: ClientOptions
        @Argument(help: "The peer's trust domain.") var trustDomain: String
        @Option(help: "Output format.") var output: OutputFormat = .table

        func run() async throws {
            let data = try await withAdminClient(client) {
                try await $0.send(.POST, "/v1/federations/" + pathEscape(trustDomain) + "/refresh")
            }
            try FederationPrinter.printOne(data, format: output)
            let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
            if let bundle = object["bundle"] as? [String: Any], bundle["last_error"] is String {
                throw ExitCode(1)
            }
        }
    }
}

/// Table and JSON rendering of federation relationships.
enum FederationPrinter {
    static func printOne(_ data: Data, format: OutputFormat) throws {
        if format == .json {
            print(String(decoding: data, as: UTF8.self))
            return
        }
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        let bundle = object["bundle"] as? [String: Any] ?? [:]
        let rows: [(String, Any?)] = [
            ("trust_domain", object["trust_domain"]), ("endpoint", object["bundle_endpoint_url"]),
            ("profile", object["profile"]), ("endpoint_id", object["endpoint_spiffe_id"]),
            ("sequence", bundle["sequence"]), ("refresh_hint", bundle["refresh_hint"]),
            ("fetched_at", bundle["fetched_at"]), ("last_attempt", bundle["last_attempt_at"]),
            ("last_error", bundle["last_error"]), ("next_refresh", object["next_refresh_at"]),
            ("created_by", object["created_by"]), ("created_at", object["created_at"]),
        ]
        for (key, value) in rows {
            guard let value, !(value is NSNull) else { continue }
            print("\(key.padding(toLength: 13, withPad: " ", startingAt: 0)) \(value)")
        }
    }

    static func printList(_ data: Data, format: OutputFormat) throws {
        if format == .json {
            print(String(decoding: data, as: UTF8.self))
            return
        }
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        let federations = object["federations"] as? [[String: Any]] ?? []
        var rows = [["TRUST DOMAIN", "PROFILE", "ENDPOINT", "SEQUENCE", "LAST FETCH", "LAST ERROR"]]
        for f in federations {
            let bundle = f["bundle"] as? [String: Any] ?? [:]
            rows.append([
                f["trust_domain"] as? String ?? "", f["profile"] as? String ?? "", f["bundle_endpoint_url"] as? String ?? "",
                (bundle["sequence"] as? NSNumber)?.stringValue ?? "-", bundle["fetched_at"] as? String ?? "never",
                bundle["last_error"] as? String ?? "",
            ])
        }
        Table.print(rows)
    }
}
