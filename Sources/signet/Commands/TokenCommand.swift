import ArgumentParser
import Foundation

/// `signet token create`: a one-time join token with which a new node agent attests.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Join tokens for node agents.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a one-time join token and print it.",
            discussion: """
                The token is shown only now: the server keeps only its hash. Give it to one new
                node agent, which exchanges it once for its agent SVID. By default the agent's ID is
                spiffe://TD/signet/agent/join_token/<token id>; --spiffe-id chooses another one
                (in the trust domain, outside /signet/ except /signet/agent/...).
                """)
        @OptionGroup var client: ClientOptions
        @Option(help: "How long the token can be used, e.g. 10m, 1h (at most 24h).") var ttl: String = "10m"
        @Option(help: "SPIFFE ID to give the agent that uses the token.") var spiffeID: String?
        @Option(help: "table prints the token only (details on stderr); json prints id, token, spiffe_id, expires_at.")
        var output: OutputFormat = .table

        func run() async throws {
            var body: [String: Any] = ["ttl": ttl]
            if let spiffeID { body["spiffe_id"] = spiffeID }
            let data = try await withAdminClient(client) { try await $0.sendJSON(.POST, "/v1/join-tokens", body: body) }
            if output == .json {
                print(String(decoding: data, as: UTF8.self))
                return
            }
            let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
            // The token alone on stdout, so `TOKEN=$(signet token create)` works.
            print(object["token"] as? String ?? "")
            let note = "join token \(object["id"] ?? "?") for \(object["spiffe_id"] ?? "?"), single use, expires \(object["expires_at"] ?? "?")\n"
            FileHandle.standardError.write(Data(note.utf8))
        }
    }
}
