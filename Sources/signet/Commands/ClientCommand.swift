import ArgumentParser
import Foundation
import SignetCore

/// `signet client`: OAuth clients of the token endpoint's `client_credentials` grant.
struct ClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client",
        abstract: "Manage OAuth clients: legacy APIs get short-lived access tokens without a client secret.",
        discussion: """
            A client authenticates at POST /oauth2/token either with a JWT assertion signed by one of its
            registered keys (private_key_jwt, RFC 7523) or with an X.509-SVID over mTLS (tls_client_auth,
            RFC 8705; issued tokens are bound to that certificate). Issued access tokens name --spiffe-id
            and one of --audience. Clients cannot be edited: delete and add again to change one.
            """,
        subcommands: [Add.self, List.self, Show.self, Delete.self])

    enum Method: String, ExpressibleByArgument, CaseIterable {
        case privateKeyJWT = "private_key_jwt"
        case tlsClientAuth = "tls_client_auth"
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a client.",
            discussion: """
                Examples:
                  signet client add billing-batch --method private_key_jwt --jwks-file billing.jwks.json \\
                      --spiffe-id spiffe://example.org/legacy/billing --audience https://billing.example.org \\
                      --owner billing --purpose "nightly batch calls the billing API"
                  signet client add reports --method tls_client_auth --san-uri spiffe://example.org/prod/reports \\
                      --spiffe-id spiffe://example.org/prod/reports --audience reports-api --owner bi --purpose "report export"
                The JWKS must hold public keys only (EC P-256/384/521 or RSA >= 2048 bits, each with a kid).
                """)
        @OptionGroup var client: ClientOptions
        @Argument(help: "The client_id (letters, digits, . _ : -).") var id: String
        @Option(help: "How the client authenticates.") var method: Method
        @Option(help: "JWKS file with the client's public keys (private_key_jwt).") var jwksFile: String?
        @Option(help: "SPIFFE ID the client's X.509-SVID must carry (tls_client_auth).") var sanURI: String?
        @Option(help: "SPIFFE ID issued tokens name (their sub).") var spiffeID: String
        @Option(name: .customLong("audience"), help: "Audience the client may request (repeatable; at least one).")
        var audiences: [String] = []
        @Option(help: "Longest token lifetime, e.g. 5m (default: the server's JWT maximum).") var maxTTL: String?
        @Option(help: "Owning team (required).") var owner: String
        @Option(help: "What this client is for (required).") var purpose: String
        @Option(help: "Output format.") var output: OutputFormat = .table

        func validate() throws {
            guard !audiences.isEmpty else { throw ValidationError("--audience is required (what the client may call)") }
            switch method {
            case .privateKeyJWT:
                guard jwksFile != nil else { throw ValidationError("--method private_key_jwt needs --jwks-file") }
                guard sanURI == nil else { throw ValidationError("--san-uri is for --method tls_client_auth") }
            case .tlsClientAuth:
                guard sanURI != nil else { throw ValidationError("--method tls_client_auth needs --san-uri") }
                guard jwksFile == nil else { throw ValidationError("--jwks-file is for --method private_key_jwt") }
            }
            if let maxTTL { _ = try parseDuration(maxTTL, option: "--max-ttl") }
        }

        func run() async throws {
            var body: [String: Any] = [
                "client_id": id, "method": method.rawValue, "spiffe_id": spiffeID, "audiences": audiences,
                "owner": owner, "purpose": purpose,
            ]
            if let jwksFile { body["jwks"] = try readTextFile(jwksFile, option: "--jwks-file") }
            if let sanURI { body["tls_client_auth_san_uri"] = sanURI }
            if let maxTTL { body["max_ttl"] = try parseDuration(maxTTL, option: "--max-ttl") }
            let data = try await withAdminClient(client) { try await $0.sendJSON(.POST, "/v1/oauth-clients", body: body) }
            try OAuthClientPrinter.printClient(data, format: output)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List clients.")
        @OptionGroup var client: ClientOptions
        @Option(help: "Output format.") var output: OutputFormat = .table

        func run() async throws {
            let data = try await withAdminClient(client) { try await $0.send(.GET, "/v1/oauth-clients") }
            try OAuthClientPrinter.printList(data, format: output)
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one client.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "The client_id.") var id: String
        @Option(help: "Output format.") var output: OutputFormat = .table

        func run() async throws {
            let data = try await withAdminClient(client) { try await $0.send(.GET, "/v1/oauth-clients/" + pathEscape(id)) }
            try OAuthClientPrinter.printClient(data, format: output)
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a client. Tokens already issued stay valid until they expire.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "The client_id.") var id: String

        func run() async throws {
            _ = try await withAdminClient(client) { try await $0.send(.DELETE, "/v1/oauth-clients/" + pathEscape(id)) }
            print("deleted OAuth client \(id)")
        }
    }
}

/// Table and JSON rendering of OAuth clients.
enum OAuthClientPrinter {
    static func printClient(_ data: Data, format: OutputFormat) throws {
        if format == .json {
            print(String(decoding: data, as: UTF8.self))
            return
        }
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        let auth = object["authentication"] as? [String: Any] ?? [:]
        var rows: [(String, String)] = [
            ("client_id", object["client_id"] as? String ?? ""),
            ("method", auth["method"] as? String ?? ""),
        ]
        if let san = auth["tls_client_auth_san_uri"] as? String { rows.append(("san_uri", san)) }
        if let jwks = auth["jwks"] as? String { rows.append(("keys", keyIDs(jwks))) }
        rows += [
            ("spiffe_id", object["spiffe_id"] as? String ?? ""),
            ("audiences", (object["audiences"] as? [String] ?? []).joined(separator: ",")),
            ("max_ttl", (object["max_ttl"] as? Int).map(Lifetime.format) ?? ""),
            ("owner", object["owner"] as? String ?? ""),
            ("purpose", object["purpose"] as? String ?? ""),
            ("created_by", object["created_by"] as? String ?? ""),
            ("created_at", object["created_at"] as? String ?? ""),
        ]
        for (key, value) in rows { print("\(key.padding(toLength: 12, withPad: " ", startingAt: 0)) \(value)") }
    }

    static func printList(_ data: Data, format: OutputFormat) throws {
        if format == .json {
            print(String(decoding: data, as: UTF8.self))
            return
        }
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        var rows = [["CLIENT ID", "METHOD", "SPIFFE ID", "AUDIENCES", "MAX TTL", "OWNER"]]
        for c in object["clients"] as? [[String: Any]] ?? [] {
            rows.append([
                c["client_id"] as? String ?? "", (c["authentication"] as? [String: Any])?["method"] as? String ?? "",
                c["spiffe_id"] as? String ?? "", (c["audiences"] as? [String] ?? []).joined(separator: ","),
                (c["max_ttl"] as? Int).map(Lifetime.format) ?? "", c["owner"] as? String ?? "",
            ])
        }
        Table.print(rows)
    }

    /// `kid` values of a JWKS text, for display (`kid1, kid2 (EC, RSA)`).
    static func keyIDs(_ jwks: String) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(jwks.utf8)) as? [String: Any],
            let keys = object["keys"] as? [[String: Any]]
        else { return "(unreadable JWKS)" }
        return keys.map { "\($0["kid"] as? String ?? "?") (\($0["kty"] as? String ?? "?"))" }.joined(separator: ", ")
    }
}

/// A `10m`-style duration option, in seconds, with an error naming the option.
func parseDuration(_ text: String, option: String) throws -> Int {
    do {
        return try Lifetime.seconds(text)
    } catch {
        throw ValidationError("\(option): \(error.description)")
    }
}

/// The text of a file named by an option, with an error that says which option and why.
func readTextFile(_ path: String, option: String) throws -> String {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw CLIError("\(option) \(path): cannot read the file")
    }
    guard let text = String(data: data, encoding: .utf8) else { throw CLIError("\(option) \(path): not UTF-8 text") }
    return text
}
