import ArgumentParser
import Foundation
import SignetCore
import SignetStore

/// `signet findings`: what to fix first, and a CI gate.
struct FindingsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "findings",
        abstract: "Posture findings over the inventory: expired, long-lived, hard-coded, weak, unowned, shared, over-privileged.",
        discussion: """
            Findings are recomputed from the inventory whenever it changed (and at least hourly), so
            they always reflect the current items, owners, teams and clock. Rules: \
            \(Finding.Rule.allCases.map(\.rawValue).joined(separator: ", ")).
            """,
        subcommands: [List.self, Recompute.self])

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json, sarif
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List findings, most severe first; exit 1 when any is at or above --fail-on.",
            discussion: """
                Examples:
                  signet findings list --severity high --owner payments
                  signet findings list --fail-on critical --output sarif > findings.sarif   (a CI gate)
                """)
        @OptionGroup var client: ClientOptions
        @Option(help: "Only findings at or above this severity (info, low, medium, high, critical).") var severity: String?
        @Option(help: "Only findings of this team's items; '-' for items without an owner.") var owner: String?
        @Option(help: "Only this rule.") var rule: String?
        @Option(help: "Only this item's findings.") var item: String?
        @Option(help: "Exit with status 1 when a listed finding is at or above this severity.") var failOn: String?
        @Option(help: "At most this many findings.") var limit: Int = 10_000
        @Option(help: "Output format: table, json or sarif (SARIF 2.1.0 for code-scanning tools).")
        var output: Format = .table

        func validate() throws {
            for (name, value) in [("--severity", severity), ("--fail-on", failOn)] {
                if let value, Finding.Severity(rawValue: value) == nil {
                    throw ValidationError("\(name) must be one of info, low, medium, high, critical")
                }
            }
            if let rule, Finding.Rule(rawValue: rule) == nil {
                throw ValidationError("--rule must be one of \(Finding.Rule.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }

        func run() async throws {
            var items: [(String, String)] = [("limit", "\(limit)")]
            if let severity { items.append(("severity", severity)) }
            if let owner { items.append(("owner", owner)) }
            if let rule { items.append(("rule", rule)) }
            if let item { items.append(("item", item)) }
            let data = try await withAdminClient(client) { try await $0.send(.GET, "/v1/findings" + queryString(items)) }
            let list = try CLIJSON.decoder.decode(FindingPage.self, from: data)
            switch output {
            case .json: print(String(decoding: data, as: UTF8.self))
            case .sarif: print(try FindingsSARIF.render(list.findings.map(\.finding)))
            case .table:
                InventoryPrinter.findings(list.findings)
                let computed = list.computedAt.map { InventoryPrinter.day($0) } ?? "never"
                FileHandle.standardError.write(Data("\(list.findings.count) findings (computed \(computed))\n".utf8))
            }
            if let failOn, let threshold = Finding.Severity(rawValue: failOn) {
                let failing = list.findings.filter { $0.finding.severity >= threshold }.count
                if failing > 0 {
                    FileHandle.standardError.write(Data("\(failing) findings at or above \(failOn)\n".utf8))
                    throw ExitCode(1)
                }
            }
        }
    }

    struct Recompute: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Recompute every finding now and print the counts.")
        @OptionGroup var client: ClientOptions
        @Option(help: "Output format.") var output: OutputFormat = .table

        func run() async throws {
            let data = try await withAdminClient(client) { try await $0.send(.POST, "/v1/findings/recompute") }
            if output == .json { print(String(decoding: data, as: UTF8.self)); return }
            let result = try CLIJSON.decoder.decode(FindingsRecomputation.self, from: data)
            let counts = Finding.Severity.allCases.reversed().map { "\($0.rawValue) \(result.bySeverity[$0.rawValue] ?? 0)" }
            print(
                "\(result.findings) findings over \(result.itemsEvaluated) items in "
                    + String(format: "%.2f s", result.seconds) + " (" + counts.joined(separator: ", ") + ")")
        }
    }
}

/// Findings as SARIF 2.1.0: one rule per finding rule, one result per finding, located at the
/// item's first location when it is a file (other locations are named in the message).
enum FindingsSARIF {
    static func render(_ findings: [Finding]) throws -> String {
        let rules: [[String: Any]] = Finding.Rule.allCases.map { rule in
            ["id": rule.rawValue, "name": rule.rawValue, "shortDescription": ["text": rule.rawValue.replacingOccurrences(of: "-", with: " ")]]
        }
        let index = Dictionary(uniqueKeysWithValues: Finding.Rule.allCases.enumerated().map { ($1, $0) })
        let results: [[String: Any]] = findings.map { finding in
            var result: [String: Any] = [
                "ruleId": finding.rule.rawValue,
                "ruleIndex": index[finding.rule] ?? 0,
                "level": level(finding.severity),
                "message": ["text": "\(finding.title): \(finding.evidence). Fix: \(finding.fix)"],
                "partialFingerprints": ["signetFinding/v1": finding.id],
                "properties": ["severity": finding.severity.rawValue, "item": finding.itemID,
                               "owner": finding.owner ?? ""] as [String: Any],
            ]
            if let location = finding.location {
                var physical: [String: Any] = [:]
                if location.type == "file" || location.type == "git" {
                    let uri = location.type == "file" ? URL(fileURLWithPath: location.target).absoluteString : location.target
                    physical["artifactLocation"] = ["uri": uri]
                    if let line = location.line { physical["region"] = ["startLine": line] }
                    result["locations"] = [["physicalLocation": physical]]
                } else {
                    result["locations"] = [["logicalLocations": [["name": location.target, "kind": location.type]]]]
                }
            }
            return result
        }
        let log: [String: Any] = [
            "version": "2.1.0",
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "runs": [[
                "tool": ["driver": ["name": "signet-findings", "rules": rules]],
                "results": results,
            ]],
        ]
        let data = try JSONSerialization.data(withJSONObject: log, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    static func level(_ severity: Finding.Severity) -> String {
        switch severity {
        case .critical, .high: "error"
        case .medium: "warning"
        case .low, .info: "note"
        }
    }
}
