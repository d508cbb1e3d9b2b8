import Foundation
import GRDB
import SignetCore

// Ownership configuration: the teams registry and the rules that assign owners on ingest.

extension SQLiteStore {
    public func createTeam(_ team: Team, event: AuditEvent) async throws {
        let document = try StoredJSON.encode(team)
        let event = try EncodedEvent(event)
        try await writer.write { db in
            if try Self.exists(db, "SELECT 1 FROM teams WHERE name = ?", [team.name]) {
                throw StoreError.conflict("a team named '\(team.name)' already exists")
            }
            try db.execute(sql: "INSERT INTO teams (name, document) VALUES (?, ?)", arguments: [team.name, document])
            try Self.markFindingsStale(db)
            try event.insert(db)
        }
    }

    /// Deletes a team. Refused (``StoreError/conflict(_:)``) while ownership rules assign to it.
    @discardableResult
    public func deleteTeam(name: String, event: AuditEvent) async throws -> Team {
        let event = try EncodedEvent(event)
        return try await writer.write { db in
            guard let team: Team = try Self.teams(db, where: "name = ?", [name]).first else {
                throw StoreError.notFound("team '\(name)'")
            }
            let rules: [OwnershipRule] = try Self.ownershipRules(db)
            let referencing = rules.filter { $0.team == name }.map(\.id)
            if !referencing.isEmpty {
                throw StoreError.conflict(
                    "ownership rules \(referencing.joined(separator: ", ")) assign items to team '\(name)'; delete them first")
            }
            try db.execute(sql: "DELETE FROM teams WHERE name = ?", arguments: [name])
            try Self.markFindingsStale(db)
            try event.insert(db)
            return team
        }
    }

    public func listTeams() async throws -> [Team] {
        try await writer.read { db in try Self.teams(db, where: "1", []) }
    }

    public func createOwnershipRule(_ rule: OwnershipRule, event: AuditEvent) async throws {
        let document = try StoredJSON.encode(rule)
        let event = try EncodedEvent(event)
        try await writer.write { db in
            if try Self.exists(db, "SELECT 1 FROM ownership_rules WHERE id = ?", [rule.id]) {
                throw StoreError.conflict("ownership rule id '\(rule.id)' is already taken")
            }
            guard try Self.exists(db, "SELECT 1 FROM teams WHERE name = ?", [rule.team]) else {
                throw StoreError.notFound("team '\(rule.team)' (create it with `signet team add \(rule.team)`)")
            }
            try db.execute(
                sql: "INSERT INTO ownership_rules (id, document) VALUES (?, ?)", arguments: [rule.id, document])
            try event.insert(db)
        }
    }

    @discardableResult
    public func deleteOwnershipRule(id: String, event: AuditEvent) async throws -> OwnershipRule {
        let event = try EncodedEvent(event)
        return try await writer.write { db in
            guard let rule = try Self.ownershipRules(db).first(where: { $0.id == id }) else {
                throw StoreError.notFound("ownership rule '\(id)'")
            }
            try db.execute(sql: "DELETE FROM ownership_rules WHERE id = ?", arguments: [id])
            try event.insert(db)
            return rule
        }
    }

    /// Every rule in the order they are tried: priority, then id.
    public func listOwnershipRules() async throws -> [OwnershipRule] {
        try await writer.read { db in try Self.ownershipRules(db) }
    }

    static func teams(_ db: Database, where filter: String, _ arguments: StatementArguments) throws -> [Team] {
        try documents(db, table: "teams", key: "name", orderBy: "name", what: "team", filter, arguments)
    }

    static func ownershipRules(_ db: Database) throws -> [OwnershipRule] {
        let rules: [OwnershipRule] = try documents(
            db, table: "ownership_rules", key: "id", orderBy: "id", what: "ownership rule", "1", [])
        return rules.sorted { ($0.priority, $0.id) < ($1.priority, $1.id) }
    }
}
