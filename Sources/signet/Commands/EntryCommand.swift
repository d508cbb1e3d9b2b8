import ArgumentParser
import Foundation
import SignetCore

struct EntryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "entry",
        abstract: "Manage registration entries: who may receive which SPIFFE ID.",
        subcommands: [Create.self, List.self, Show.self, Update.self, Delete.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an entry. Owner and purpose are required; naming and TTL rules are enforced.")
        @OptionGroup var client: ClientOptions
        @Option(help: "SPIFFE ID to issue, e.g. spiffe://example.org/prod/payments/api.") var spiffeID: String
        @Option(help: "Parent ID (the agent or node allowed to obtain it).") var parentID: String?
        @Option(name: .customLong("selector"), help: "Selector type:value (repeatable), e.g. unix:uid:1000.")
        var selectors: [String] = []
        @Option(help: "X.509-SVID TTL, e.g. 1h (default: server's default).") var x509TTL: String?
        @Option(help: "JWT-SVID TTL, e.g. 5m (default: server's default).") var jwtTTL: String?
        @Option(name: .customLong("dns-name"), help: "DNS SAN (repeatable).") var dnsNames: [String] = []
        @Option(help: "Owning team (required).") var owner: String
        @Option(help: "What this identity is for (required).") var purpose: String
        @Option(help: "Environment, e.g. prod.") var environment: String?
        @Option(help: "Entry expiry, RFC 3339 (e.g. 2027-01-01T00:00:00Z).") var expiresAt: String?
        @Option(
            name: .customLong("federates-with"),
            help: "Federated trust domain whose bundle the workloads receive (repeatable; see `signet federation add`).")
        var federatesWith: [String] = []
        @Option(help: "Output format.") var output: OutputFormat = .table

        func run() async throws {
            var body: [String: Any] = [
                "spiffe_id": spiffeID, "owner": owner, "purpose": purpose, "selectors": selectors, "dns_names": dnsNames,
            ]
            if !federatesWith.isEmpty { body["federates_with"] = federatesWith }
            if let parentID { body["parent_id"] = parentID }
            if let x509TTL { body["x509_ttl"] = x509TTL }
            if let jwtTTL { body["jwt_ttl"] = jwtTTL }
            if let environment { body["environment"] = environment }
            if let expiresAt { body["expires_at"] = expiresAt }
            let data = try await withAdminClient(client) { try await $0.sendJSON(.POST, "/v1/entries", body: body) }
            try EntryPrinter.printEntry(data, format: output)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List entries, optionally filtered.")
        @OptionGroup var client: ClientOptions
        @Option(help: "Only IDs starting with this prefix.") var spiffeIDPrefix: String?
        @Option(help: "Only entries owned by this team.") var owner: String?
        @Option(help: "Only entries with this parent ID.") var parentID: String?
        @Option(help: "Only entries with this selector.") var selector: String?
        @Option(help: "At most this many entries.") var limit: Int?
        @Option(help: "Output format.") var output: OutputFormat = .table

        func run() async throws {
            var query: [(String, String)] = []
            if let spiffeIDPrefix { query.append(("spiffe_id_prefix", spiffeIDPrefix)) }
            if let owner { query.append(("owner", owner)) }
            if let parentID { query.append(("parent_id", parentID)) }
            if let selector { query.append(("selector", selector)) }
            if let limit { query.append(("limit", String(limit))) }
            let data = try await withAdminClient(client) { try await $0.send(.GET, "/v1/entries" + queryString(query)) }
            try EntryPrinter.printList(data, format: output)
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one entry.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Entry id.") var id: String
        @Option(help: "Output format.") var output: OutputFormat = .table

        func run() async throws {
            let data = try await withAdminClient(client) { try await $0.send(.GET, "/v1/entries/" + pathEscape(id)) }
            try EntryPrinter.printEntry(data, format: output)
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change fields of an entry; unspecified fields keep their value.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Entry id.") var id: String
        @Option(help: "New SPIFFE ID.") var spiffeID: String?
        @Option(help: "New parent ID (empty string clears it).") var parentID: String?
        @Option(name: .customLong("selector"), help: "Replace selectors (repeatable).") var selectors: [String] = []
        @Option(help: "X.509-SVID TTL.") var x509TTL: String?
        @Option(help: "JWT-SVID TTL.") var jwtTTL: String?
        @Option(name: .customLong("dns-name"), help: "Replace DNS SANs (repeatable).") var dnsNames: [String] = []
        @Option(help: "Owning team.") var owner: String?
        @Option(help: "Purpose.") var purpose: String?
        @Option(help: "Environment (empty string clears it).") var environment: String?
        @Option(help: "Entry expiry, RFC 3339.") var expiresAt: String?
        @Option(
            name: .customLong("federates-with"),
            help: "Replace the federated trust domains (repeatable; --no-federation clears them).")
        var federatesWith: [String] = []
        @Flag(help: "Clear the federated trust domains.") var noFederation = false
        @Option(help: "Output format.") var output: OutputFormat = .table

        func run() async throws {
            var body: [String: Any] = [:]
            if noFederation && !federatesWith.isEmpty {
                throw ValidationError("--no-federation and --federates-with contradict each other; pass one")
            }
            if !federatesWith.isEmpty { body["federates_with"] = federatesWith }
            if noFederation { body["federates_with"] = [String]() }
            if let spiffeID { body["spiffe_id"] = spiffeID }
            if let parentID { body["parent_id"] = parentID }
            if !selectors.isEmpty { body["selectors"] = selectors }
            if let x509TTL { body["x509_ttl"] = x509TTL }
            if let jwtTTL { body["jwt_ttl"] = jwtTTL }
            if !dnsNames.isEmpty { body["dns_names"] = dnsNames }
            if let owner { body["owner"] = owner }
            if let purpose { body["purpose"] = purpose }
            if let environment { body["environment"] = environment }
            if let expiresAt { body["expires_at"] = expiresAt }
            guard !body.isEmpty else { throw ValidationError("nothing to change: pass at least one field option") }
            let data = try await withAdminClient(client) {
                try await $0.sendJSON(.PATCH, "/v1/entries/" + pathEscape(id), body: body)
            }
            try EntryPrinter.printEntry(data, format: output)
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete an entry.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Entry id.") var id: String

        func run() async throws {
            _ = try await withAdminClient(client) { try await $0.send(.DELETE, "/v1/entries/" + pathEscape(id)) }
            print("deleted entry \(id)")
        }
    }
}

/// Table and JSON rendering of entries.
enum EntryPrinter {
    static func printEntry(_ data: Data, format: OutputFormat) throws {
        if format == .json {
            print(String(decoding: data, as: UTF8.self))
            return
        }
        let entry = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        let keys = ["id", "spiffe_id", "parent_id", "selectors", "x509_ttl", "jwt_ttl", "dns_names", "owner", "purpose",
                    "environment", "expires_at", "federates_with", "created_by", "created_at", "updated_at", "revision"]
        for key in keys {
            guard let value = entry[key], !(value is NSNull) else { continue }
            print("\(key.padding(toLength: 12, withPad: " ", startingAt: 0)) \(render(value, key: key))")
        }
    }

    static func printList(_ data: Data, format: OutputFormat) throws {
        if format == .json {
            print(String(decoding: data, as: UTF8.self))
            return
        }
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        let entries = object["entries"] as? [[String: Any]] ?? []
        var rows = [["ID", "SPIFFE ID", "OWNER", "X509 TTL", "SELECTORS", "FEDERATES WITH"]]
        for e in entries {
            rows.append([
                e["id"] as? String ?? "", e["spiffe_id"] as? String ?? "", e["owner"] as? String ?? "",
                render(e["x509_ttl"] ?? 0, key: "x509_ttl"), render(e["selectors"] ?? [], key: "selectors"),
                render(e["federates_with"] ?? [], key: "federates_with"),
            ])
        }
        Table.print(rows)
        if let next = object["next_after"] as? String { print("(more: --after \(next))") }
    }

    static func render(_ value: Any, key: String) -> String {
        if key.hasSuffix("_ttl"), let n = value as? Int { return Lifetime.format(n) }
        if let list = value as? [Any] { return list.map { "\($0)" }.joined(separator: ",") }
        return "\(value)"
    }
}

/// Left-aligned columns.
enum Table {
    static func print(_ rows: [[String]]) {
        guard let first = rows.first else { return }
        var widths = first.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
        for row in rows {
            let line = row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
            Swift.print(line)
        }
    }
}

func pathEscape(_ s: String) -> String {
    s.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? s
}

func queryString(_ items: [(String, String)]) -> String {
    guard !items.isEmpty else { return "" }
    var allowed = CharacterSet.urlQueryAllowed
    allowed.remove(charactersIn: "&=+:/?")
    return "?" + items.map { "\($0)=\($1.addingPercentEncoding(withAllowedCharacters: allowed) ?? $1)" }.joined(separator: "&")
}
