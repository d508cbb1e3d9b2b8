import Foundation
import SignetCore
import SignetStore

/// The inventory as the admin API sees it: ingest of scanner and importer results (checked,
/// owners resolved by the ownership rules), queries, and hand-made changes with their events.
extension SignetAuthority {
    /// Upload sources appear in events and history: short, plain names.
    static func checkSource(_ source: String) throws {
        let allowed = source.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 || $0 == 46 || $0 == 95 }
        guard (1...64).contains(source.utf8.count), allowed else {
            throw APIError.badRequest("source must be 1 to 64 characters of a-z, 0-9, '.', '_' or '-' (e.g. scan-path, import-kubectl)")
        }
    }

    public func ingestInventory(_ items: [InventoryItem], source: String, actor: String) async throws
        -> InventoryIngestSummary
    {
        try Self.checkSource(source)
        guard items.count <= InventoryIngestCheck.maxItems else {
            throw APIError.badRequest(
                "at most \(InventoryIngestCheck.maxItems) items per upload; split the upload (the CLI does this itself)")
        }
        var checked = try items.enumerated().map { try InventoryIngestCheck.checked($1, index: $0) }
        let resolver = try await ownershipResolver()
        for index in checked.indices { _ = resolver.apply(to: &checked[index]) }
        return try await store.ingestInventory(checked, actor: actor) { summary in
            AuditEvent(
                actor: actor, action: "inventory.ingest", subject: source, outcome: .success,
                details: [
                    "received": "\(summary.received)", "created": "\(summary.created)",
                    "updated": "\(summary.updated)", "owners_assigned": "\(summary.ownersAssigned)",
                ])
        }
    }

    /// The compiled ownership rules (compiled once, recompiled after a rule changes).
    func ownershipResolver() async throws -> OwnershipResolver {
        if let resolver = inventory.cachedResolver() { return resolver }
        let resolver = OwnershipResolver(rules: try await store.listOwnershipRules())
        inventory.setResolver(resolver)
        return resolver
    }

    public func inventoryItem(id: String) async throws -> InventoryItem {
        guard var item = try await store.inventoryItem(id: id) else {
            throw APIError.notFound("no inventory item with id \(id); find ids with `signet inventory list`")
        }
        item.riskScore = try await store.riskScores(itemIDs: [id])[id] ?? 0
        return item
    }

    public func assignInventoryOwner(id: String, owner: String?, actor: String) async throws -> InventoryItem {
        if let owner {
            let teams = try await store.listTeams()
            guard teams.contains(where: { $0.name == owner }) else {
                throw APIError.notFound("no team named \(owner); register it first with `signet team add \(owner)`")
            }
        }
        let event = AuditEvent(
            actor: actor, action: "inventory.assign", subject: id, outcome: .success,
            details: ["owner": owner ?? "(none)"])
        do {
            return try await store.assignInventoryOwner(itemID: id, owner: owner, actor: actor, event: event)
        } catch StoreError.notFound {
            throw APIError.notFound("no inventory item with id \(id); find ids with `signet inventory list`")
        }
    }

    public func setInventoryStatus(id: String, status: InventoryItem.Status, actor: String) async throws
        -> InventoryItem
    {
        let event = AuditEvent(
            actor: actor, action: "inventory.status", subject: id, outcome: .success,
            details: ["status": status.rawValue])
        do {
            return try await store.setInventoryStatus(itemID: id, status: status, actor: actor, event: event)
        } catch StoreError.notFound {
            throw APIError.notFound("no inventory item with id \(id); find ids with `signet inventory list`")
        }
    }

    // MARK: Teams and ownership rules

    public func createTeam(_ team: Team, actor: String) async throws -> Team {
        let event = AuditEvent(
            actor: actor, action: "team.create", subject: team.name, outcome: .success,
            details: ["contact": team.contact ?? ""])
        do {
            try await store.createTeam(team, event: event)
        } catch StoreError.conflict(let message) {
            throw APIError.conflict(message)
        }
        return team
    }

    public func deleteTeam(name: String, actor: String) async throws -> Team {
        let event = AuditEvent(actor: actor, action: "team.delete", subject: name, outcome: .success)
        do {
            return try await store.deleteTeam(name: name, event: event)
        } catch StoreError.notFound {
            throw APIError.notFound("no team named \(name); list teams with `signet team list`")
        } catch StoreError.conflict(let message) {
            throw APIError.conflict(message)
        }
    }

    public func createOwnershipRule(_ rule: OwnershipRule, actor: String) async throws -> OwnershipRule {
        let event = AuditEvent(
            actor: actor, action: "ownership.rule.create", subject: rule.id, outcome: .success,
            details: [
                "field": rule.field.rawValue, "pattern": rule.pattern, "team": rule.team, "priority": "\(rule.priority)",
            ])
        do {
            try await store.createOwnershipRule(rule, event: event)
        } catch StoreError.conflict(let message) {
            throw APIError.conflict(message)
        } catch StoreError.notFound(let message) {
            throw APIError(.unprocessableContent, "unknown_team", "no \(message)")
        }
        inventory.setResolver(nil)
        return rule
    }

    public func deleteOwnershipRule(id: String, actor: String) async throws -> OwnershipRule {
        let event = AuditEvent(actor: actor, action: "ownership.rule.delete", subject: id, outcome: .success)
        defer { inventory.setResolver(nil) }
        do {
            return try await store.deleteOwnershipRule(id: id, event: event)
        } catch StoreError.notFound {
            throw APIError.notFound("no ownership rule with id \(id); list them with `signet ownership list`")
        }
    }

    // MARK: Findings

    /// The findings policy in force: defaults, the server's SVID TTL ceilings, and the registered teams.
    func findingsPolicy() async throws -> FindingsPolicy {
        var policy = FindingsPolicy()
        policy.maxSVIDTTLSeconds = configuration.x509MaxTTL
        policy.maxJWTSVIDTTLSeconds = configuration.jwtMaxTTL
        policy.knownTeams = Set(try await store.listTeams().map(\.name))
        return policy
    }

    /// Recomputes every finding now (joining a recomputation already running).
    public func recomputeFindings(actor: String) async throws -> FindingsRecomputation {
        try await inventory.recompute { [self] in
            let engine = FindingsEngine(policy: try await findingsPolicy())
            let now = Date()
            return try await store.recomputeFindings(
                now: now, evaluate: { engine.findings(for: $0, now: now) },
                event: { result in
                    var details = [
                        "items": "\(result.itemsEvaluated)", "findings": "\(result.findings)",
                        "milliseconds": "\(Int(result.seconds * 1000))",
                    ]
                    for (severity, count) in result.bySeverity { details[severity] = "\(count)" }
                    return AuditEvent(
                        actor: actor, action: "findings.recompute", subject: "inventory", outcome: .success,
                        details: details)
                })
        }
    }

    /// How old findings may be before a query recomputes them: expiry-based findings move with the clock.
    static let findingsMaxAge: TimeInterval = 3600

    /// Findings matching `query`, recomputed first when the inventory changed since the last
    /// recomputation or it is older than ``findingsMaxAge``.
    public func findings(_ query: FindingQuery, actor: String) async throws -> (findings: [StoredFinding], computedAt: Date?) {
        let freshness = try await store.findingsFreshness()
        var computedAt = freshness.computedAt
        if freshness.stale || (computedAt.map { Date().timeIntervalSince($0) > Self.findingsMaxAge } ?? true) {
            computedAt = try await recomputeFindings(actor: actor).computedAt
        }
        return (try await store.listFindings(query), computedAt)
    }
}
