import Foundation
import Hummingbird
import SignetCore
import SignetStore

/// `/v1/teams` (the registry owners must belong to) and `/v1/ownership-rules` (patterns that
/// assign owners on ingest).
struct TeamRoutes {
    let authority: SignetAuthority

    struct TeamInput: Decodable {
        var name: String
        var displayName: String?
        var contact: String?
        enum CodingKeys: String, CodingKey {
            case name
            case displayName = "display_name"
            case contact
        }
    }

    struct RuleInput: Decodable {
        var id: String?
        var field: String
        var pattern: String
        var team: String
        var priority: Int?
    }

    struct TeamList: Encodable { let teams: [Team] }
    struct RuleList: Encodable {
        let rules: [OwnershipRule]
    }

    func register(on group: RouterGroup<SignetRequestContext>) {
        group.post("teams") { request, context in
            let input = try await request.decode(as: TeamInput.self, context: context)
            let team: Team
            do {
                team = try Team(name: input.name, displayName: input.displayName, contact: input.contact, created: Date())
            } catch {
                throw APIError.badRequest("\(error)")
            }
            return try APIJSON.response(try await authority.createTeam(team, actor: context.actor), status: .created)
        }
        group.get("teams") { _, _ in
            try APIJSON.response(TeamList(teams: try await authority.store.listTeams()))
        }
        group.delete("teams/{name}") { _, context in
            let name = try context.parameters.require("name")
            return try APIJSON.response(try await authority.deleteTeam(name: name, actor: context.actor))
        }
        group.post("ownership-rules") { request, context in
            let input = try await request.decode(as: RuleInput.self, context: context)
            guard let field = OwnershipRule.Field(rawValue: input.field) else {
                throw APIError.badRequest(
                    "field must be one of \(OwnershipRule.Field.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let rule: OwnershipRule
            do {
                rule = try OwnershipRule(
                    id: input.id ?? UUID().uuidString.lowercased(), field: field, pattern: input.pattern, team: input.team,
                    priority: input.priority ?? 100, created: Date())
            } catch {
                throw APIError.badRequest("\(error)")
            }
            return try APIJSON.response(try await authority.createOwnershipRule(rule, actor: context.actor), status: .created)
        }
        group.get("ownership-rules") { _, _ in
            try APIJSON.response(RuleList(rules: try await authority.store.listOwnershipRules()))
        }
        group.delete("ownership-rules/{id}") { _, context in
            let id = try context.parameters.require("id")
            return try APIJSON.response(try await authority.deleteOwnershipRule(id: id, actor: context.actor))
        }
    }
}
