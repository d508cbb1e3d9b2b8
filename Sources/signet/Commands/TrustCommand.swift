import ArgumentParser
import Foundation
import SignetCore

/// `signet trust`: rules that let tokens from external OIDC issuers be exchanged for SPIFFE identities.
struct TrustCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trust",
        abstract: "Manage trust rules: which external OIDC tokens (CI jobs, Kubernetes pods, ...) map to which SPIFFE ID.",
        discussion: """
            A trust rule accepts tokens of one issuer for some audiences, maps their claims to a SPIFFE ID with
            a template, applies only when its condition holds, and caps the lifetime of what it issues. Presets
            fill the issuer and template for GitHub Actions, GitLab CI and Kubernetes service-account tokens.

            Rules are linted: one that does not pin the tenant (any repository or namespace would match),
            reuses another rule's audience, or allows a TTL above policy is refused unless you accept the risk
            with --accept-risk "reason". The reason, the accepted findings, who and when are stored and shown.

            Example (GitHub Actions, repositories of the acme organisation only):
              signet trust add github-acme --preset github --audience https://signet.example.org \\
                  --condition 'claims.repository_owner == "acme"' --max-ttl 10m --owner platform \\
                  --purpose "CI deploys"
            Check a real token against every rule:  signet trust test --token-file token.jwt
            """,
        subcommands: [Add.self, List.self, Show.self, Update.self, Delete.self, Test.self])

    enum Preset: String, ExpressibleByArgument, CaseIterable {
        case github, gitlab, kubernetes, oidc
    }

    /// The rule fields shared by `add` and `update`.
    struct RuleOptions: ParsableArguments {
        @Option(help: "Start from a preset: github, gitlab, kubernetes or oidc (fills --issuer and --template; drives linting).")
        var preset: Preset?
        @Option(help: "Exact 'iss' of accepted tokens, an https:// URL (github and gitlab presets have a default).")
        var issuer: String?
        @Option(help: "Pin the issuer's keys from this JWKS file instead of OIDC discovery (private issuers).")
        var jwksFile: String?
        @Option(name: .customLong("audience"), help: "Accepted token audience (repeatable); choose one unique to this rule.")
        var audiences: [String] = []
        @Option(help: "SPIFFE ID template, e.g. 'spiffe://example.org/ci/github/{repository_owner}/{repository#2}'.")
        var template: String?
        @Option(help: "Condition, e.g. 'claims.repository_owner == \"acme\" && claims.ref == \"refs/heads/main\"' (\"\" for none).")
        var condition: String?
        @Option(help: "Longest lifetime of anything issued under the rule, e.g. 10m (default: the server's JWT-SVID TTL).")
        var maxTTL: String?
        @Option(help: "Owning team.") var owner: String?
        @Option(help: "What the rule is for.") var purpose: String?
        @Option(name: .customLong("allow-actor"), help: "SPIFFE ID pattern (* and ?) of an actor that may act for mapped subjects (repeatable).")
        var allowedActors: [String] = []
        @Option(help: "Store the rule despite lint findings; the reason is recorded with the findings, who and when.")
        var acceptRisk: String?

        func validateDuration() throws {
            if let maxTTL { _ = try parseDuration(maxTTL, option: "--max-ttl") }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a trust rule. Refused (non-zero exit) when the linter objects and --accept-risk is not given.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Rule name: lowercase letters, digits and '-', e.g. github-acme-deploy.") var name: String
        @OptionGroup var rule: RuleOptions
        @Option(help: "Output format.") var output: OutputFormat = .table

        func validate() throws {
            guard !rule.audiences.isEmpty else { throw ValidationError("--audience is required (at least one)") }
            guard rule.owner != nil else { throw ValidationError("--owner is required (the team accountable for the rule)") }
            guard rule.purpose != nil else { throw ValidationError("--purpose is required (what the rule is for)") }
            try rule.validateDuration()
        }

        func run() async throws {
            var body: [String: Any] = [
                "name": name, "audiences": rule.audiences, "owner": rule.owner ?? "", "purpose": rule.purpose ?? "",
                "allowed_actors": rule.allowedActors,
            ]
            if let preset = rule.preset { body["preset"] = preset.rawValue }
            if let issuer = rule.issuer { body["issuer"] = issuer }
            if let jwksFile = rule.jwksFile { body["jwks"] = try readTextFile(jwksFile, option: "--jwks-file") }
            if let template = rule.template { body["subject_template"] = template }
            if let condition = rule.condition, !condition.isEmpty { body["condition"] = condition }
            if let maxTTL = rule.maxTTL { body["max_ttl"] = try parseDuration(maxTTL, option: "--max-ttl") }
            if let acceptRisk = rule.acceptRisk { body["accept_risk"] = acceptRisk }
            let data = try await TrustRulePrinter.submit(client) {
                try await $0.sendJSON(.POST, "/v1/trust-rules", body: body)
            }
            try TrustRulePrinter.printRule(data, format: output)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List trust rules.")
        @OptionGroup var client: ClientOptions
        @Option(help: "Output format.") var output: OutputFormat = .table

        func run() async throws {
            let data = try await withAdminClient(client) { try await $0.send(.GET, "/v1/trust-rules") }
            try TrustRulePrinter.printList(data, format: output)
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one trust rule, with the risk accepted for it (reason, findings, who, when).")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Rule name or id.") var name: String
        @Option(help: "Output format.") var output: OutputFormat = .table

        func run() async throws {
            let data = try await withAdminClient(client) { try await $0.send(.GET, "/v1/trust-rules/" + pathEscape(name)) }
            try TrustRulePrinter.printRule(data, format: output)
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a trust rule; options not given keep their value. The rule is linted again.",
            discussion: """
                Findings accepted earlier stay accepted; a new finding needs --accept-risk again. The revision
                grows by one. --preset changes only the lint profile: give --issuer and --template as well.
                """)
        @OptionGroup var client: ClientOptions
        @Argument(help: "Rule name or id.") var name: String
        @OptionGroup var rule: RuleOptions
        @Flag(help: "Drop the pinned JWKS and fetch the issuer's keys by OIDC discovery.") var discovery = false
        @Flag(help: "Remove every allowed actor.") var noAllowedActors = false
        @Option(help: "Output format.") var output: OutputFormat = .table

        func validate() throws {
            try rule.validateDuration()
            if discovery, rule.jwksFile != nil { throw ValidationError("--discovery and --jwks-file contradict each other") }
            if noAllowedActors, !rule.allowedActors.isEmpty {
                throw ValidationError("--no-allowed-actors and --allow-actor contradict each other")
            }
        }

        func run() async throws {
            let jwks = try rule.jwksFile.map { try readTextFile($0, option: "--jwks-file") }
            let maxTTL = try rule.maxTTL.map { try parseDuration($0, option: "--max-ttl") }
            let path = "/v1/trust-rules/" + pathEscape(name)
            let data = try await TrustRulePrinter.submit(client) { api in
                let current = try JSONSerialization.jsonObject(with: try await api.send(.GET, path)) as? [String: Any] ?? [:]
                // PUT replaces the whole rule: start from what is stored, then apply the options given.
                var body: [String: Any] = [:]
                for key in ["name", "preset", "issuer", "audiences", "subject_template", "condition", "max_ttl", "owner",
                            "purpose", "allowed_actors"] {
                    if let value = current[key], !(value is NSNull) { body[key] = value }
                }
                if let source = current["key_source"] as? [String: Any], source["type"] as? String == "jwks" {
                    body["jwks"] = source["jwks"]
                }
                if let preset = rule.preset { body["preset"] = preset.rawValue }
                if let issuer = rule.issuer { body["issuer"] = issuer }
                if let jwks { body["jwks"] = jwks }
                if discovery { body.removeValue(forKey: "jwks") }
                if !rule.audiences.isEmpty { body["audiences"] = rule.audiences }
                if let template = rule.template { body["subject_template"] = template }
                if let condition = rule.condition {
                    if condition.isEmpty { body.removeValue(forKey: "condition") } else { body["condition"] = condition }
                }
                if let maxTTL { body["max_ttl"] = maxTTL }
                if let owner = rule.owner { body["owner"] = owner }
                if let purpose = rule.purpose { body["purpose"] = purpose }
                if !rule.allowedActors.isEmpty { body["allowed_actors"] = rule.allowedActors }
                if noAllowedActors { body["allowed_actors"] = [String]() }
                if let acceptRisk = rule.acceptRisk { body["accept_risk"] = acceptRisk }
                return try await api.sendJSON(.PUT, path, body: body)
            }
            try TrustRulePrinter.printRule(data, format: output)
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a trust rule. Its tokens are refused from then on; credentials already issued stay valid until they expire.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Rule name or id.") var name: String

        func run() async throws {
            _ = try await withAdminClient(client) { try await $0.send(.DELETE, "/v1/trust-rules/" + pathEscape(name)) }
            print("deleted trust rule \(name)")
        }
    }

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Explain which trust rules a token matches and why each other rule does not.",
            discussion: """
                The server checks the token's signature with its issuer's keys and evaluates every rule for that
                issuer, without exchanging or consuming the token. Exit status 0 when a rule matches (the signature
                verifies and the matching rules agree on one SPIFFE ID), 1 otherwise.
                """)
        @OptionGroup var client: ClientOptions
        @Option(help: "The token (compact JWT).") var token: String?
        @Option(help: "File holding the token, or - for standard input.") var tokenFile: String?
        @Option(help: "Output format.") var output: OutputFormat = .table

        func validate() throws {
            guard (token == nil) != (tokenFile == nil) else { throw ValidationError("give exactly one of --token or --token-file") }
        }

        func run() async throws {
            let jwt: String
            if let token {
                jwt = token
            } else if tokenFile == "-" {
                jwt = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            } else {
                jwt = try readTextFile(tokenFile ?? "", option: "--token-file")
            }
            let trimmed = jwt.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty else { throw CLIError("the token is empty") }
            let data = try await withAdminClient(client) {
                try await $0.sendJSON(.POST, "/v1/trust-rules/test", body: ["token": trimmed])
            }
            let matched = try TrustRulePrinter.printTest(data, format: output)
            if !matched { throw ExitCode(1) }
        }
    }
}

/// Rendering of rules, lint refusals and test reports.
enum TrustRulePrinter {
    /// Runs a create/update call; a lint refusal is printed finding by finding on stderr, each with how to
    /// fix it, followed by how to accept the risk instead, and the command exits 1.
    static func submit(_ options: ClientOptions, _ call: (AdminClient) async throws -> Data)
        async throws -> Data
    {
        do {
            return try await withAdminClient(options, call)
        } catch let error as CLIError {
            guard let body = error.serverBody,
                let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
                object["error"] as? String == "lint_failed"
            else { throw error }
            let findings = object["findings"] as? [[String: Any]] ?? []
            var out = "error: the trust rule was not stored: the linter found \(findings.count) problem\(findings.count == 1 ? "" : "s")\n"
            for finding in findings {
                let code = finding["code"] as? String ?? "?"
                // The server's message says what is wrong and how to fix it.
                out += "  - \(code): \(finding["message"] as? String ?? "")\n"
            }
            out += "To store the rule anyway, accept the risk: re-run with --accept-risk \"<why this is acceptable>\".\n"
            out += "The reason, the findings, who and when are stored with the rule (see `signet trust show`).\n"
            FileHandle.standardError.write(Data(out.utf8))
            throw ExitCode(1)
        }
    }

    static func printRule(_ data: Data, format: OutputFormat) throws {
        if format == .json {
            print(String(decoding: data, as: UTF8.self))
            return
        }
        let rule = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        var rows: [(String, String)] = []
        func add(_ key: String, _ value: Any?) {
            guard let value, !(value is NSNull) else { return }
            if let list = value as? [Any] {
                if !list.isEmpty { rows.append((key, list.map { "\($0)" }.joined(separator: ", "))) }
            } else {
                rows.append((key, "\(value)"))
            }
        }
        add("name", rule["name"])
        add("id", rule["id"])
        add("preset", rule["preset"])
        add("issuer", rule["issuer"])
        if let source = rule["key_source"] as? [String: Any] {
            if source["type"] as? String == "jwks", let jwks = source["jwks"] as? String {
                add("keys", "pinned JWKS: " + OAuthClientPrinter.keyIDs(jwks))
            } else {
                add("keys", "OIDC discovery")
            }
        }
        add("audiences", rule["audiences"])
        add("template", rule["subject_template"])
        add("condition", rule["condition"] ?? "(none: every token of the issuer and audience)")
        add("max_ttl", (rule["max_ttl"] as? Int).map(Lifetime.format))
        add("owner", rule["owner"])
        add("purpose", rule["purpose"])
        add("actors", rule["allowed_actors"])
        add("revision", rule["revision"])
        add("created_by", rule["created_by"])
        add("created_at", rule["created_at"])
        add("updated_at", rule["updated_at"])
        for (key, value) in rows { print("\(key.padding(toLength: 11, withPad: " ", startingAt: 0)) \(value)") }
        if let risk = rule["accepted_risk"] as? [String: Any] {
            print("accepted risk:")
            print("  reason      \(risk["reason"] as? String ?? "")")
            print("  findings    \((risk["findings"] as? [String] ?? []).joined(separator: ", "))")
            print("  accepted by \(risk["accepted_by"] as? String ?? "")")
            print("  accepted at \(risk["accepted_at"] as? String ?? "")")
        }
        if let lint = rule["lint"] as? [[String: Any]], !lint.isEmpty {
            print("lint findings (accepted):")
            for finding in lint { print("  - \(finding["code"] as? String ?? ""): \(finding["message"] as? String ?? "")") }
        }
    }

    static func printList(_ data: Data, format: OutputFormat) throws {
        if format == .json {
            print(String(decoding: data, as: UTF8.self))
            return
        }
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        var rows = [["NAME", "ISSUER", "AUDIENCES", "TEMPLATE", "MAX TTL", "OWNER", "RISK"]]
        for r in object["rules"] as? [[String: Any]] ?? [] {
            let risk = ((r["accepted_risk"] as? [String: Any])?["findings"] as? [String])?.joined(separator: ",")
            rows.append([
                r["name"] as? String ?? "", r["issuer"] as? String ?? "",
                (r["audiences"] as? [String] ?? []).joined(separator: ","), r["subject_template"] as? String ?? "",
                (r["max_ttl"] as? Int).map(Lifetime.format) ?? "", r["owner"] as? String ?? "", risk ?? "-",
            ])
        }
        Table.print(rows)
    }

    /// Prints a `POST /v1/trust-rules/test` report; returns whether some rule matched.
    static func printTest(_ data: Data, format: OutputFormat) throws -> Bool {
        let report = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        let results = report["results"] as? [[String: Any]] ?? []
        // As the token endpoint decides: a valid signature and exactly one mapped SPIFFE ID.
        let ids = Set(results.filter { $0["matched"] as? Bool == true }.compactMap { $0["spiffe_id"] as? String })
        let matched = report["signature"] as? String == "valid" && ids.count == 1
        if format == .json {
            print(String(decoding: data, as: UTF8.self))
            return matched
        }
        let issuer = report["issuer"] as? String ?? "(none)"
        print("issuer:    \(issuer)")
        if let signature = report["signature"] as? String { print("signature: \(signature)") }
        if let note = report["note"] as? String, !note.isEmpty {
            print("note:      \(note)")
        } else if results.isEmpty {
            print("note:      no trust rule has issuer \(issuer)")
        }
        for result in results {
            let name = result["rule"] as? String ?? "?"
            if result["matched"] as? Bool == true {
                print("MATCH     \(name) -> \(result["spiffe_id"] as? String ?? "")")
            } else {
                print("NO MATCH  \(name)")
                for reason in result["reasons"] as? [String] ?? [] { print("            - \(reason)") }
            }
        }
        return matched
    }
}
