import ArgumentParser
import Foundation

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "The event log and the record of issued credentials.",
        subcommands: [Events.self, Credentials.self])

    struct Events: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List events in order.")
        @OptionGroup var client: ClientOptions
        @Option(help: "Only events after this sequence number.") var after: Int?
        @Option(help: "Only this action, e.g. entry.create.") var action: String?
        @Option(help: "At most this many.") var limit: Int?
        @Option(help: "Output format.") var output: OutputFormat = .table

        func run() async throws {
            var query: [(String, String)] = []
            if let after { query.append(("after", String(after))) }
            if let action { query.append(("action", action)) }
            if let limit { query.append(("limit", String(limit))) }
            let data = try await withAdminClient(client) { try await $0.send(.GET, "/v1/events" + queryString(query)) }
            if output == .json { print(String(decoding: data, as: UTF8.self)); return }
            let events = (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["events"] as? [[String: Any]] ?? []
            var rows = [["SEQ", "TIME", "ACTOR", "ACTION", "SUBJECT", "OUTCOME", "REASON"]]
            for e in events {
                rows.append(["sequence", "time", "actor", "action", "subject", "outcome", "reason"].map { "\(e[$0] ?? "")" })
            }
            Table.print(rows)
        }
    }

    struct Credentials: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List issued credentials.")
        @OptionGroup var client: ClientOptions
        @Option(help: "Only this SPIFFE ID.") var spiffeID: String?
        @Option(help: "x509-svid, jwt-svid or access-token.") var kind: String?
        @Option(help: "At most this many.") var limit: Int?
        @Option(help: "Output format.") var output: OutputFormat = .table

        func run() async throws {
            var query: [(String, String)] = []
            if let spiffeID { query.append(("spiffe_id", spiffeID)) }
            if let kind { query.append(("kind", kind)) }
            if let limit { query.append(("limit", String(limit))) }
            let data = try await withAdminClient(client) { try await $0.send(.GET, "/v1/credentials" + queryString(query)) }
            if output == .json { print(String(decoding: data, as: UTF8.self)); return }
            let list = (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["credentials"] as? [[String: Any]] ?? []
            var rows = [["KIND", "SERIAL", "SPIFFE ID", "NOT AFTER", "ISSUED TO"]]
            for c in list { rows.append(["kind", "serial", "spiffe_id", "not_after", "issued_to"].map { "\(c[$0] ?? "")" }) }
            Table.print(rows)
        }
    }
}
