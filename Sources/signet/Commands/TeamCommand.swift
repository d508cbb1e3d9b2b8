import ArgumentParser
import Foundation
import SignetCore

/// `signet team`: the registry of teams that own credentials.
struct TeamCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "team",
        abstract: "Manage the teams registry (owners must be registered teams).",
        discussion: "An inventory item owned by a name that is not a registered team is an `unknown-owner` finding.",
        subcommands: [Add.self, List.self, Delete.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a team.", discussion: "Example: signet team add payments --contact '#payments-oncall'")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Team name: lowercase letters, digits, '.', '_', '-' (at most 63).") var name: String
        @Option(help: "Human-readable name.") var displayName: String?
        @Option(help: "Where to reach the team (email, chat channel).") var contact: String?

        func run() async throws {
            var body: [String: Any] = ["name": name]
            if let displayName { body["display_name"] = displayName }
            if let contact { body["contact"] = contact }
            _ = try await withAdminClient(client) { try await $0.sendJSON(.POST, "/v1/teams", body: body) }
            print("registered team \(name)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List teams.")
        @OptionGroup var client: ClientOptions
        @Option(help: "Output format.") var output: OutputFormat = .table

        func run() async throws {
            let data = try await withAdminClient(client) { try await $0.send(.GET, "/v1/teams") }
            if output == .json { print(String(decoding: data, as: UTF8.self)); return }
            struct Teams: Decodable { let teams: [Team] }
            let teams = try CLIJSON.decoder.decode(Teams.self, from: data).teams
            Table.print([["NAME", "DISPLAY NAME", "CONTACT"]] + teams.map { [$0.name, $0.displayName ?? "-", $0.contact ?? "-"] })
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a team (refused while ownership rules assign to it). Its items keep the name as owner.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Team name.") var name: String

        func run() async throws {
            _ = try await withAdminClient(client) { try await $0.send(.DELETE, "/v1/teams/" + pathEscape(name)) }
            print("deleted team \(name)")
        }
    }
}

/// `signet ownership`: rules that give inventory items an owner when they are ingested.
struct OwnershipCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ownership",
        abstract: "Manage ownership rules: patterns that assign a team to items as they are ingested.",
        discussion: """
            Each rule matches one field of an item against a glob (`*` matches anything, including '/'):
              path        a file location            (e.g. /srv/payments/*)
              repository  a git location or repository attribute (e.g. *github.com/acme/payments*)
              namespace   a Kubernetes namespace     (e.g. payments-*)
              spiffe-id   a SPIFFE ID                (e.g. spiffe://example.org/prod/payments/*)
              account     an account or ARN          (e.g. arn:aws:iam::123456789012:*)
              host        a TLS endpoint host:port   (e.g. *.payments.example.org:443)
              detector    the detector that found it (e.g. stripe-*)
            Rules are tried by --priority (lower first), then id; the first match wins. A rule never
            overrides an owner set by hand (`inventory assign`) or stated by the source itself.
            """,
        subcommands: [Add.self, List.self, Delete.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a rule.",
            discussion: "Example: signet ownership add --field namespace --pattern 'payments-*' --team payments")
        @OptionGroup var client: ClientOptions
        @Option(help: "Rule id (default: generated).") var id: String?
        @Option(help: "The item field: \(OwnershipRule.Field.allCases.map(\.rawValue).joined(separator: ", ")).")
        var field: String
        @Option(help: "Glob pattern.") var pattern: String
        @Option(help: "The team items get (must be registered).") var team: String
        @Option(help: "Lower is tried first.") var priority: Int = OwnershipRule.defaultPriority

        func validate() throws {
            if OwnershipRule.Field(rawValue: field) == nil {
                throw ValidationError("--field must be one of \(OwnershipRule.Field.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }

        func run() async throws {
            var body: [String: Any] = ["field": field, "pattern": pattern, "team": team, "priority": priority]
            if let id { body["id"] = id }
            let data = try await withAdminClient(client) { try await $0.sendJSON(.POST, "/v1/ownership-rules", body: body) }
            let rule = try CLIJSON.decoder.decode(OwnershipRule.self, from: data)
            print("added ownership rule \(rule.id): \(rule.field.rawValue) \(rule.pattern) -> \(rule.team)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List rules in the order they are tried.")
        @OptionGroup var client: ClientOptions
        @Option(help: "Output format.") var output: OutputFormat = .table

        func run() async throws {
            let data = try await withAdminClient(client) { try await $0.send(.GET, "/v1/ownership-rules") }
            if output == .json { print(String(decoding: data, as: UTF8.self)); return }
            struct Rules: Decodable { let rules: [OwnershipRule] }
            let rules = try CLIJSON.decoder.decode(Rules.self, from: data).rules
            Table.print(
                [["ID", "PRIORITY", "FIELD", "PATTERN", "TEAM"]]
                    + rules.map { [$0.id, "\($0.priority)", $0.field.rawValue, $0.pattern, $0.team] })
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a rule (owners it already set stay until another sighting or rule changes them).")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Rule id.") var id: String

        func run() async throws {
            _ = try await withAdminClient(client) { try await $0.send(.DELETE, "/v1/ownership-rules/" + pathEscape(id)) }
            print("deleted ownership rule \(id)")
        }
    }
}
