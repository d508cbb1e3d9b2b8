import ArgumentParser
import Foundation

/// `signet agent ...`: the node agent. This file holds the admin side (list, evict);
/// the agent itself (`signet agent run`) lives in its own file as `AgentCommand.Run`.
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent", abstract: "Run the node agent, or list and evict attested agents.",
        // `signet agent --server ...` runs the agent (Run, in AgentRunCommand.swift): DESIGN.md's contract.
        subcommands: [Run.self, List.self, Evict.self], defaultSubcommand: Run.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List attested agents, evicted ones included.")
        @OptionGroup var client: ClientOptions
        @Option(help: "Output format.") var output: OutputFormat = .table

        func run() async throws {
            let data = try await withAdminClient(client) { try await $0.send(.GET, "/v1/agents") }
            if output == .json {
                print(String(decoding: data, as: UTF8.self))
                return
            }
            let agents = (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["agents"] as? [[String: Any]] ?? []
            var rows = [["SPIFFE ID", "ATTESTATION", "SVID EXPIRES", "LAST SEEN", "EVICTED", "SELECTORS"]]
            for agent in agents {
                rows.append([
                    "\(agent["id"] ?? "")", "\(agent["attestation_type"] ?? "")", "\(agent["svid_expires_at"] ?? "")",
                    "\(agent["last_seen_at"] ?? "")", (agent["evicted"] as? Bool ?? false) ? "yes" : "no",
                    ((agent["selectors"] as? [String]) ?? []).joined(separator: ","),
                ])
            }
            Table.print(rows)
        }
    }

    struct Evict: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Evict an agent: its renewals, syncs and SVID requests are refused from now on.",
            discussion: "The node must attest again (with a new join token) to come back.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "The agent's SPIFFE ID (see `signet agent list`).") var spiffeID: String
        @Option(help: "Output format.") var output: OutputFormat = .table

        func run() async throws {
            let data = try await withAdminClient(client) {
                try await $0.sendJSON(.POST, "/v1/agents/evict", body: ["spiffe_id": spiffeID])
            }
            if output == .json {
                print(String(decoding: data, as: UTF8.self))
            } else {
                print("evicted \(spiffeID)")
            }
        }
    }
}
