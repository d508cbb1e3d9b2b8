import Foundation
import Hummingbird
import SignetCore
import SignetStore

/// `/v1/inventory`: upload sightings, query and show items, set owners and status; plus the
/// deployment's secret-fingerprint key for scanners (`/v1/inventory/fingerprint-key`).
struct InventoryRoutes {
    let authority: SignetAuthority

    /// Uploads carry up to ``InventoryIngestCheck/maxItems`` items, far above the API's default body limit.
    static let maxIngestBody = 32 * 1024 * 1024

    struct IngestInput: Decodable {
        var source: String
        var items: [InventoryItem]
    }

    struct OwnerInput: Decodable { var owner: String? }
    struct StatusInput: Decodable { var status: String }
    struct KeyOutput: Encodable { let key: String }

    func register(on group: RouterGroup<SignetRequestContext>) {
        group.post("inventory") { request, context in
            var context = context
            context.maxUploadSize = Self.maxIngestBody
            let input = try await request.decode(as: IngestInput.self, context: context)
            let summary = try await authority.ingestInventory(input.items, source: input.source, actor: context.actor)
            return try APIJSON.response(summary)
        }
        group.get("inventory") { request, _ in
            let query = try Self.query(request.uri.queryParameters)
            var items = try await authority.store.listInventory(query)
            let scores = try await authority.store.riskScores(itemIDs: items.map(\.id))
            for index in items.indices { items[index].riskScore = scores[items[index].id] ?? 0 }
            let next = query.expiringBefore == nil && items.count == query.limit ? items.last?.id : nil
            return try APIJSON.response(InventoryPage(items: items, nextAfter: next))
        }
        group.get("inventory/fingerprint-key") { _, _ in
            try APIJSON.response(KeyOutput(key: try authority.inventory.fingerprintKey(authority.configuration)),
                extraHeaders: [.cacheControl: "no-store"])
        }
        group.get("inventory/{id}") { _, context in
            let id = try context.parameters.require("id")
            let item = try await authority.inventoryItem(id: id)
            let history = try await authority.store.inventoryHistory(id: id)
            let findings = try await authority.store.listFindings(FindingQuery(itemID: id))
            return try APIJSON.response(InventoryItemDetail(item: item, history: history, findings: findings))
        }
        group.put("inventory/{id}/owner") { request, context in
            let id = try context.parameters.require("id")
            let input = try await request.decode(as: OwnerInput.self, context: context)
            return try APIJSON.response(try await authority.assignInventoryOwner(id: id, owner: input.owner, actor: context.actor))
        }
        group.put("inventory/{id}/status") { request, context in
            let id = try context.parameters.require("id")
            let input = try await request.decode(as: StatusInput.self, context: context)
            guard let status = InventoryItem.Status(rawValue: input.status) else {
                throw APIError.badRequest("status must be one of active, revoked, expired, retired")
            }
            return try APIJSON.response(try await authority.setInventoryStatus(id: id, status: status, actor: context.actor))
        }
    }

    /// `kind`, `owner` (`-` for unowned), `status`, `expiring_within` (e.g. `30d`), `managed`, `limit`, `after`.
    static func query(_ q: Parameters) throws -> InventoryQuery {
        var query = InventoryQuery()
        if let kind = q["kind"] {
            guard let k = InventoryItem.Kind(rawValue: String(kind)) else {
                throw APIError.badRequest(
                    "kind must be one of \(InventoryItem.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            query.kind = k
        }
        query.owner = q["owner"].map(String.init)
        if let status = q["status"] {
            guard let s = InventoryItem.Status(rawValue: String(status)) else {
                throw APIError.badRequest("status must be one of active, revoked, expired, retired")
            }
            query.status = s
        }
        if let within = q["expiring_within"] {
            let seconds: Int
            do { seconds = try Lifetime.seconds(String(within)) } catch { throw APIError.badRequest("expiring_within: \(error)") }
            query.expiringBefore = query.now.addingTimeInterval(TimeInterval(seconds))
        }
        if let managed = q["managed"] {
            guard let flag = Bool(String(managed)) else { throw APIError.badRequest("managed must be true or false") }
            query.managedBySignet = flag
        }
        if let limit = q["limit"] {
            guard let n = Int(limit), (1...10_000).contains(n) else {
                throw APIError.badRequest("limit must be an integer between 1 and 10000")
            }
            query.limit = n
        }
        query.after = q["after"].map(String.init)
        return query
    }
}
