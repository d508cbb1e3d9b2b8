import Foundation
import Testing

@testable import SignetCore

@Suite("Teams, ownership rules and the ownership resolver")
struct OwnershipRuleTests {
    static let t0 = Date(timeIntervalSince1970: 1_790_000_000)

    static func rule(
        _ id: String, _ field: OwnershipRule.Field, _ pattern: String, team: String, priority: Int = 100
    ) throws -> OwnershipRule {
        try OwnershipRule(id: id, field: field, pattern: pattern, team: team, priority: priority, created: t0)
    }

    static func item(
        _ locations: [(String, String)] = [], detector: String? = nil, attributes: [String: String] = [:],
        sans: [String]? = nil, owner: String? = nil, ownerSource: String? = nil
    ) -> InventoryItem {
        InventoryItem(
            kind: sans == nil ? .apiToken : .x509Certificate, fingerprint: "sha256:\(locations.count)",
            detector: detector,
            locations: locations.map { InventoryItem.Location(type: $0.0, target: $0.1, firstSeen: t0) },
            owner: owner,
            certificate: sans.map {
                .init(
                    subject: "CN=x", issuer: "CN=ca", serial: "01", sans: $0, notBefore: t0,
                    notAfter: t0.addingTimeInterval(86_400), signatureAlgorithm: "ecdsa-with-SHA256", selfSigned: false,
                    isCA: false)
            },
            attributes: attributes, ownerSource: ownerSource)
    }

    // MARK: - Teams

    @Test("team names are slugs; the error says what is allowed")
    func teamNames() throws {
        for good in ["payments", "a", "platform-sre", "team.b_2", "0ps", String(repeating: "a", count: 63)] {
            #expect(Team.isValidName(good), "\(good)")
        }
        for bad in ["", "Payments", "-ops", ".ops", "_ops", "pay ments", "payments/", "équipe",
                    String(repeating: "a", count: 64)] {
            #expect(!Team.isValidName(bad), "\(bad)")
        }
        #expect(throws: Team.ValidationError.self) { try Team(name: "Payments Team", created: Self.t0) }
        do {
            _ = try Team(name: "Payments Team", created: Self.t0)
        } catch {
            #expect(error.description.contains("a-z, 0-9"))
            #expect(error.description.contains("'Payments Team'"))
        }
        #expect(throws: Team.ValidationError.self) {
            try Team(name: "ok", contact: String(repeating: "x", count: 257), created: Self.t0)
        }
    }

    @Test("teams use snake_case JSON and decoding validates")
    func teamJSON() throws {
        let team = try Team(name: "payments", displayName: "Payments", contact: "#payments-oncall", created: Self.t0)
        let data = try JSONEncoder().encode(team)
        #expect(String(decoding: data, as: UTF8.self).contains("\"display_name\":\"Payments\""))
        #expect(try JSONDecoder().decode(Team.self, from: data) == team)
        let bad = Data(#"{"name":"Bad Name","created":0}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Team.self, from: bad) }
    }

    // MARK: - Rules

    @Test("rules validate id, pattern and team with clear messages")
    func ruleValidation() throws {
        _ = try Self.rule("r1", .path, "/srv/*", team: "payments")
        func problems(_ id: String, _ pattern: String, _ team: String) -> [String] {
            do {
                _ = try OwnershipRule(id: id, field: .path, pattern: pattern, team: team)
                return []
            } catch {
                return error.problems
            }
        }
        #expect(problems("", "/srv/*", "payments") == ["id must not be empty"])
        #expect(problems("r 1", "/srv/*", "payments").first?.contains("spaces") == true)
        #expect(problems("r1", "", "payments").first?.contains("must not be empty") == true)
        #expect(problems("r1", String(repeating: "a", count: 513), "payments").first?.contains("512") == true)
        #expect(problems("r1", String(repeating: "a", count: 512), "payments").isEmpty)
        #expect(problems("r1", "/srv/*", "Payments").first?.contains("team name") == true)
        #expect(problems("", "", "").count == 3)
    }

    @Test("rule JSON uses the field's raw values and rejects unknown fields and bad rules")
    func ruleJSON() throws {
        let rule = try Self.rule("spiffe", .spiffeID, "spiffe://example.org/payments/*", team: "payments", priority: 5)
        let data = try JSONEncoder().encode(rule)
        #expect(String(decoding: data, as: UTF8.self).contains("\"field\":\"spiffe-id\""))
        #expect(try JSONDecoder().decode(OwnershipRule.self, from: data) == rule)
        let unknown = Data(#"{"id":"a","field":"owner","pattern":"*","team":"x","created":0}"#.utf8)
        do {
            _ = try JSONDecoder().decode(OwnershipRule.self, from: unknown)
            Issue.record("an unknown field must be rejected")
        } catch {
            #expect("\(error)".contains("path, repository, namespace"))
        }
        let noPriority = Data(#"{"id":"a","field":"path","pattern":"*","team":"x","created":0}"#.utf8)
        #expect(try JSONDecoder().decode(OwnershipRule.self, from: noPriority).priority == OwnershipRule.defaultPriority)
        let badTeam = Data(#"{"id":"a","field":"path","pattern":"*","team":"X Y","created":0}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(OwnershipRule.self, from: badTeam) }
    }

    // MARK: - Fields

    @Test("each field reads its own facts of the item, and only those")
    func fields() throws {
        func matches(_ field: OwnershipRule.Field, _ pattern: String, _ item: InventoryItem) throws -> Bool {
            OwnershipResolver(rules: [try Self.rule("r", field, pattern, team: "t")]).match(item) != nil
        }
        // path: file locations only.
        #expect(try matches(.path, "/srv/payments/*", Self.item([("file", "/srv/payments/.env")])))
        #expect(try !matches(.path, "/srv/payments/*", Self.item([("git", "/srv/payments/.env")])))
        // repository: git locations or the repository attribute.
        #expect(try matches(.repository, "*acme/payments*", Self.item([("git", "git@github.com:acme/payments.git")])))
        #expect(try matches(.repository, "acme/payments", Self.item(attributes: ["repository": "acme/payments"])))
        #expect(try !matches(.repository, "*acme/payments*", Self.item([("file", "/src/acme/payments/x")])))
        // namespace: attribute only.
        #expect(try matches(.namespace, "payments-*", Self.item(attributes: ["namespace": "payments-prod"])))
        #expect(try !matches(.namespace, "payments-*", Self.item([("file", "payments-prod")])))
        // spiffe-id: attribute, or a spiffe:// URI SAN (bare or as the scanners write it).
        #expect(try matches(.spiffeID, "spiffe://example.org/payments/*",
                            Self.item(attributes: ["spiffe_id": "spiffe://example.org/payments/api"])))
        #expect(try matches(.spiffeID, "spiffe://example.org/payments/*",
                            Self.item(sans: ["DNS:api.example.org", "URI:spiffe://example.org/payments/api"])))
        #expect(try matches(.spiffeID, "spiffe://example.org/payments/*",
                            Self.item(sans: ["spiffe://example.org/payments/api"])))
        #expect(try !matches(.spiffeID, "*payments*", Self.item(sans: ["URI:https://payments.example.org"])))
        // account: account locations, the account and arn attributes.
        #expect(try matches(.account, "123456789012", Self.item([("account", "123456789012")])))
        #expect(try matches(.account, "prod-*", Self.item(attributes: ["account": "prod-payments"])))
        #expect(try matches(.account, "arn:aws:iam::123456789012:user/*",
                            Self.item(attributes: ["arn": "arn:aws:iam::123456789012:user/deployer"])))
        #expect(try !matches(.account, "123456789012", Self.item([("tls", "123456789012")])))
        // host: tls locations only.
        #expect(try matches(.host, "*.payments.example.com:443", Self.item([("tls", "api.payments.example.com:443")])))
        #expect(try !matches(.host, "*.payments.example.com:443", Self.item([("file", "api.payments.example.com:443")])))
        // detector.
        #expect(try matches(.detector, "aws-*", Self.item(detector: "aws-access-key-id")))
        #expect(try !matches(.detector, "aws-*", Self.item(detector: "github-pat")))
        #expect(try !matches(.detector, "*", Self.item()))
    }

    @Test("glob shapes: literal, prefix*suffix, several stars, ?, and case-sensitivity")
    func globShapes() throws {
        func matches(_ pattern: String, _ path: String) throws -> Bool {
            OwnershipResolver(rules: [try Self.rule("r", .path, pattern, team: "t")])
                .match(Self.item([("file", path)])) != nil
        }
        #expect(try matches("/etc/app.key", "/etc/app.key"))
        #expect(try !matches("/etc/app.key", "/etc/app.key2"))
        #expect(try !matches("/etc/app.key", "/etc/app.ke"))
        #expect(try matches("*", "/anything"))
        #expect(try matches("**", "/anything"))
        #expect(try matches("/srv/*.pem", "/srv/a/b/c.pem"))
        #expect(try matches("/srv/*.pem", "/srv/.pem"))
        #expect(try !matches("/srv/*.pem", "/srv.pem"))
        #expect(try !matches("/x/*/x/", "/x/"))  // prefix and suffix may not overlap
        #expect(try matches("/x/*/x/", "/x//x/"))
        #expect(try !matches("/srv/*.pem", "/srv/a.key"))
        #expect(try matches("/srv/*/secrets/*.env", "/srv/payments/secrets/prod.env"))
        #expect(try !matches("/srv/*/secrets/*.env", "/srv/payments/config/prod.env"))
        #expect(try matches("/srv/*/secrets/*.env", "/srv/a/secrets/.env"))  // pieces may touch
        #expect(try !matches("/srv/*/secrets/*.env", "/srv/a/secrets.env"))
        #expect(try matches("*acme/payments*", "git@github.com:acme/payments.git"))
        #expect(try !matches("*acme/payments*", "git@github.com:acme/pay"))
        #expect(try matches("*/" + String(repeating: "k", count: 70) + "/*", "/a/" + String(repeating: "k", count: 70) + "/b"))
        #expect(try !matches("*/" + String(repeating: "k", count: 70) + "/*", "/a/" + String(repeating: "k", count: 69) + "/b"))
        #expect(try matches("/srv/app?/key", "/srv/app1/key"))
        #expect(try matches("/srv/app?/key", "/srv/appé/key"))  // ? is one Unicode scalar
        #expect(try !matches("/srv/app?/key", "/srv/app12/key"))
        #expect(try !matches("/SRV/*", "/srv/x"))
        #expect(try matches("/données/*", "/données/clé.pem"))
    }

    // MARK: - Priority and apply

    @Test("lower priority wins, ties are broken by id, regardless of input order")
    func priority() throws {
        let broad = try Self.rule("broad", .path, "/srv/*", team: "platform", priority: 100)
        let specific = try Self.rule("specific", .path, "/srv/payments/*", team: "payments", priority: 10)
        let tieB = try Self.rule("b-rule", .path, "/srv/*", team: "team-b", priority: 50)
        let tieA = try Self.rule("a-rule", .path, "/srv/*", team: "team-a", priority: 50)
        let payments = Self.item([("file", "/srv/payments/.env")])
        #expect(OwnershipResolver(rules: [broad, specific]).match(payments)?.id == "specific")
        #expect(OwnershipResolver(rules: [specific, broad]).match(payments)?.id == "specific")
        #expect(OwnershipResolver(rules: [broad, specific]).match(Self.item([("file", "/srv/other")]))?.id == "broad")
        #expect(OwnershipResolver(rules: [tieB, tieA, broad]).match(Self.item([("file", "/srv/x")]))?.id == "a-rule")
        #expect(OwnershipResolver(rules: [tieB, broad]).rules.map(\.id) == ["b-rule", "broad"])
        #expect(OwnershipResolver(rules: [broad]).match(Self.item([("file", "/opt/x")])) == nil)
    }

    @Test("apply fills unowned items and never overrides manual, source or signet owners")
    func applyRespectsOwnerSource() throws {
        let resolver = OwnershipResolver(rules: [try Self.rule("srv", .path, "/srv/*", team: "platform")])
        var unowned = Self.item([("file", "/srv/app/.env")])
        #expect(resolver.apply(to: &unowned))
        #expect(unowned.owner == "platform")
        #expect(unowned.ownerSource == "rule:srv")
        #expect(!resolver.apply(to: &unowned))  // already up to date

        for source in ["manual", "source", "signet"] {
            var owned = Self.item([("file", "/srv/app/.env")], owner: "alice-team", ownerSource: source)
            #expect(!resolver.apply(to: &owned), "\(source)")
            #expect(owned.owner == "alice-team")
            #expect(owned.ownerSource == source)
        }
        // An owner given by the source without an explicit ownerSource is a `source` owner.
        var fromSource = Self.item([("file", "/srv/app/.env")], owner: "ops")
        #expect(!resolver.apply(to: &fromSource))
        #expect(fromSource.owner == "ops")
        // An empty owner is no owner.
        var empty = Self.item([("file", "/srv/app/.env")], owner: "", ownerSource: "manual")
        #expect(resolver.apply(to: &empty))
        #expect(empty.owner == "platform")
    }

    @Test("rule owners follow the current rules: replaced by a better rule, cleared when none matches")
    func applyRederivesRuleOwners() throws {
        let broad = try Self.rule("broad", .path, "/srv/*", team: "platform", priority: 100)
        let specific = try Self.rule("pay", .path, "/srv/payments/*", team: "payments", priority: 10)
        var item = Self.item([("file", "/srv/payments/.env")], owner: "platform", ownerSource: "rule:broad")
        #expect(OwnershipResolver(rules: [broad, specific]).apply(to: &item))
        #expect(item.owner == "payments")
        #expect(item.ownerSource == "rule:pay")

        #expect(OwnershipResolver(rules: [broad]).apply(to: &item))
        #expect(item.owner == "platform")

        #expect(OwnershipResolver(rules: []).apply(to: &item))
        #expect(item.owner == nil)
        #expect(item.ownerSource == nil)
        #expect(!OwnershipResolver(rules: []).apply(to: &item))
    }

    @Test("any of several locations can match")
    func severalLocations() throws {
        let resolver = OwnershipResolver(rules: [try Self.rule("k8s", .path, "/etc/kubernetes/*", team: "platform")])
        var item = Self.item([("file", "/home/me/.kube/x"), ("file", "/etc/kubernetes/admin.conf")])
        #expect(resolver.apply(to: &item))
        #expect(item.owner == "platform")
    }
}
