import ArgumentParser
import Foundation
import SignetCore
import SignetDiscovery
import SignetStore

/// `signet inventory`: every machine credential Signet knows, issued or found.
struct InventoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inventory",
        abstract: "Query the machine-identity inventory, assign owners, import other systems' listings.",
        discussion: """
            The inventory holds one item per credential (certificates, keys, tokens, cloud keys, service
            accounts, Signet's own SVIDs), however many places it was seen in. Scanners (`signet scan`)
            and importers (`signet inventory import`) add sightings; Signet adds what it issues itself.
            Secret values are never stored: only a keyed fingerprint and a redacted preview.
            """,
        subcommands: [List.self, Show.self, Assign.self, SetStatus.self, Import.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List items, filtered.",
            discussion: """
                Examples:
                  signet inventory list --expiring-within 30d --owner payments
                  signet inventory list --kind cloud-access-key --owner - --output json   (unowned)
                  signet inventory list --status expired
                """)
        @OptionGroup var client: ClientOptions
        @Option(help: "Only this kind (\(InventoryItem.Kind.allCases.map(\.rawValue).joined(separator: ", "))).")
        var kind: String?
        @Option(help: "Only items of this team; '-' for items without an owner.") var owner: String?
        @Option(help: "Only this status (active, revoked, expired, retired); an active item past its expiry is expired.")
        var status: String?
        @Option(help: "Only items still valid that expire within this duration (e.g. 30d), soonest first.")
        var expiringWithin: String?
        @Option(help: "Only items Signet issued (true) or found (false).") var managed: Bool?
        @Option(help: "At most this many items (1-10000).") var limit: Int = 100
        @Option(help: "Continue after this item id (the previous page's next_after).") var after: String?
        @Option(help: "Output format.") var output: OutputFormat = .table

        func validate() throws {
            if let kind, InventoryItem.Kind(rawValue: kind) == nil {
                throw ValidationError("--kind must be one of \(InventoryItem.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if let status, InventoryItem.Status(rawValue: status) == nil {
                throw ValidationError("--status must be one of active, revoked, expired, retired")
            }
            if let expiringWithin { _ = try parseDuration(expiringWithin, option: "--expiring-within") }
            guard (1...10_000).contains(limit) else { throw ValidationError("--limit must be between 1 and 10000") }
        }

        func run() async throws {
            var items: [(String, String)] = [("limit", "\(limit)")]
            if let kind { items.append(("kind", kind)) }
            if let owner { items.append(("owner", owner)) }
            if let status { items.append(("status", status)) }
            if let expiringWithin { items.append(("expiring_within", expiringWithin)) }
            if let managed { items.append(("managed", "\(managed)")) }
            if let after { items.append(("after", after)) }
            let data = try await withAdminClient(client) { try await $0.send(.GET, "/v1/inventory" + queryString(items)) }
            if output == .json {
                print(String(decoding: data, as: UTF8.self))
                return
            }
            let list = try CLIJSON.decoder.decode(InventoryPage.self, from: data)
            InventoryPrinter.table(list.items)
            if let next = list.nextAfter { FileHandle.standardError.write(Data("more: --after \(next)\n".utf8)) }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one item: its facts, every location, its owner and status history, and its findings.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "The item id (kind:fingerprint, as `inventory list` shows it).") var id: String
        @Option(help: "Output format.") var output: OutputFormat = .table

        func run() async throws {
            let data = try await withAdminClient(client) { try await $0.send(.GET, "/v1/inventory/" + pathEscape(id)) }
            if output == .json {
                print(String(decoding: data, as: UTF8.self))
                return
            }
            InventoryPrinter.detail(try CLIJSON.decoder.decode(InventoryItemDetail.self, from: data))
        }
    }

    struct Assign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set an item's owner by hand (ingest and ownership rules never override it).",
            discussion: "The team must be registered (`signet team add`). --clear hands the item back to the rules.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "The item id.") var id: String
        @Option(help: "The owning team.") var owner: String?
        @Flag(help: "Remove the owner.") var clear = false
        @Option(help: "Output format.") var output: OutputFormat = .table

        func validate() throws {
            guard (owner != nil) != clear else { throw ValidationError("give either --owner TEAM or --clear") }
        }

        func run() async throws {
            let body: [String: Any] = ["owner": owner.map { $0 as Any } ?? NSNull()]
            let data = try await withAdminClient(client) {
                try await $0.sendJSON(.PUT, "/v1/inventory/" + pathEscape(id) + "/owner", body: body)
            }
            if output == .json { print(String(decoding: data, as: UTF8.self)); return }
            let item = try CLIJSON.decoder.decode(InventoryItem.self, from: data)
            print("\(item.id): owner \(item.owner ?? "(none)")")
        }
    }

    struct SetStatus: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-status",
            abstract: "Mark an item revoked or retired (or active again); findings stop treating it as live.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "The item id.") var id: String
        @Argument(help: "active, revoked, expired or retired.") var status: String

        func validate() throws {
            if InventoryItem.Status(rawValue: status) == nil {
                throw ValidationError("status must be one of active, revoked, expired, retired")
            }
        }

        func run() async throws {
            _ = try await withAdminClient(client) {
                try await $0.sendJSON(.PUT, "/v1/inventory/" + pathEscape(id) + "/status", body: ["status": status])
            }
            print("\(id): \(status)")
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import another system's credential listing into the inventory.",
            discussion: """
                Formats (--format, detected from the content when omitted):
                  aws-credential-report      aws iam get-credential-report (the decoded CSV)
                  aws-authorization-details  aws iam get-account-authorization-details (privileges, admin policies)
                  kubectl                    kubectl get serviceaccounts,secrets -A -o json
                  github-tokens              GET /orgs/ORG/personal-access-tokens or /orgs/ORG/credential-authorizations
                  spire-entries              spire-server entry show -output json
                  csv, json                  generic: kind,name,reference|fingerprint,owner,purpose,environment,created,
                                             expires,last_used,location,algorithm,key_size,privileges,status
                Secret values in the input (Kubernetes secret data) are fingerprinted with the deployment's key
                and dropped: only fingerprints and redacted previews are uploaded. --offline prints the items
                as JSON instead of uploading.
                """)
        @OptionGroup var client: ClientOptions
        @Argument(help: "The file to import.") var file: String
        @Option(help: "The input format (default: detected).") var format: String?
        @Flag(help: "Print the items as JSON; send nothing.") var offline = false

        func validate() throws {
            if let format, ImportFormat(rawValue: format) == nil {
                throw ValidationError("--format must be one of \(ImportFormat.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }

        func run() async throws {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw CLIError("cannot read \(file)")
            }
            let bytes = Array(data)
            guard let format = format.flatMap(ImportFormat.init(rawValue:)) ?? InventoryImporter.detectFormat(bytes) else {
                throw CLIError("cannot tell the format of \(file); pass --format (see --help)")
            }
            if offline {
                let result = try InventoryImporter(fingerprinter: .random()).parse(
                    bytes, format: format, source: file, now: Date())
                for warning in result.warnings { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
                print(String(decoding: try CLIJSON.encoder.encode(result.items), as: UTF8.self))
                return
            }
            let summary = try await withAdminClient(client) { admin in
                let uploader = InventoryUploader(client: admin)
                let importer = InventoryImporter(fingerprinter: try await uploader.fingerprinter())
                let result = try importer.parse(bytes, format: format, source: file, now: Date())
                for warning in result.warnings { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
                return try await uploader.upload(result.items, source: "import-" + format.rawValue)
            }
            print(
                "imported \(summary.received) items from \(file) (\(format.rawValue)): \(summary.created) new, "
                    + "\(summary.updated) updated, \(summary.ownersAssigned) owners set by rules")
        }
    }
}

/// The API's JSON dialect on the client side (RFC 3339 dates).
enum CLIJSON {
    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}
