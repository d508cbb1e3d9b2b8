import Foundation
import Hummingbird
import SignetCore
import SignetStore

/// `/v1/entries`: create, list, show, update, delete registration entries.
struct EntryRoutes {
    let authority: SignetAuthority

    func register(on group: RouterGroup<SignetRequestContext>) {
        group.post("entries") { request, context in
            let body = try await request.decode(as: EntryInput.self, context: context)
            let draft = try body.newEntry(defaults: authority.configuration, actor: context.actor)
            let entry = try await authority.createEntry(draft, actor: context.actor)
            return try APIJSON.response(entry, status: .created)
        }
        group.get("entries") { request, context in
            let q = request.uri.queryParameters
            var query = EntryQuery()
            query.spiffeIDPrefix = q["spiffe_id_prefix"].map(String.init)
            query.owner = q["owner"].map(String.init)
            if let parent = q["parent_id"] { query.parentID = try SPIFFEID(String(parent)) }
            if let selector = q["selector"] { query.selector = try Selector(String(selector)) }
            if let limit = q["limit"] {
                guard let n = Int(limit), (1...10_000).contains(n) else {
                    throw APIError.badRequest("limit must be an integer between 1 and 10000")
                }
                query.limit = n
            }
            query.after = q["after"].map(String.init)
            let entries = try await authority.store.listEntries(query)
            let next = entries.count == query.limit ? entries.last?.id : nil
            return try APIJSON.response(EntryList(entries: entries, nextAfter: next))
        }
        group.get("entries/{id}") { _, context in
            let id = try context.parameters.require("id")
            guard let entry = try await authority.store.entry(id: id) else {
                throw APIError.notFound("no entry with id \(id); list entries with `signet entry list`")
            }
            return try APIJSON.response(entry)
        }
        group.patch("entries/{id}") { request, context in
            let id = try context.parameters.require("id")
            let body = try await request.decode(as: EntryInput.self, context: context)
            let entry = try await authority.updateEntry(id: id, actor: context.actor) { entry in
                try body.apply(to: &entry)
            }
            return try APIJSON.response(entry)
        }
        group.delete("entries/{id}") { _, context in
            let id = try context.parameters.require("id")
            let deleted = try await authority.deleteEntry(id: id, actor: context.actor)
            return try APIJSON.response(deleted)
        }
    }
}

struct EntryList: Encodable {
    let entries: [RegistrationEntry]
    let nextAfter: String?
    enum CodingKeys: String, CodingKey {
        case entries
        case nextAfter = "next_after"
    }
}

/// The JSON body of entry create (all required fields present) and update (only changed fields).
struct EntryInput: Decodable {
    var spiffeID: String?
    var parentID: String?
    var selectors: [String]?
    var x509TTL: FlexibleDuration?
    var jwtTTL: FlexibleDuration?
    var dnsNames: [String]?
    var owner: String?
    var purpose: String?
    var environment: String?
    var expiresAt: Date?
    /// Trust domains whose bundles the entry's workloads receive (each must be federated).
    var federatesWith: [String]?

    enum CodingKeys: String, CodingKey {
        case spiffeID = "spiffe_id"
        case parentID = "parent_id"
        case selectors
        case x509TTL = "x509_ttl"
        case jwtTTL = "jwt_ttl"
        case dnsNames = "dns_names"
        case owner, purpose, environment
        case expiresAt = "expires_at"
        case federatesWith = "federates_with"
    }

    /// `federates_with` as trust domains; a bad name is a 400 naming it.
    func federatedDomains() throws -> [TrustDomain]? {
        try federatesWith.map { names in
            try names.map { name in
                do {
                    return try TrustDomain(name.hasPrefix("spiffe://") ? String(name.dropFirst(9)) : name)
                } catch {
                    throw APIError.badRequest("federates_with: '\(name)' is not a trust domain name: \(error)")
                }
            }
        }
    }

    func newEntry(defaults: ServerConfiguration, actor: String) throws -> RegistrationEntry {
        guard let spiffeID else { throw APIError.badRequest("spiffe_id is required") }
        return RegistrationEntry(
            spiffeID: try SPIFFEID(spiffeID),
            parentID: try parentID.map { try SPIFFEID($0) },
            selectors: try (selectors ?? []).map { try Selector($0) },
            x509TTL: x509TTL?.seconds ?? defaults.x509DefaultTTL,
            jwtTTL: jwtTTL?.seconds ?? defaults.jwtDefaultTTL,
            dnsNames: dnsNames ?? [],
            owner: owner ?? "",
            purpose: purpose ?? "",
            environment: environment,
            expiresAt: expiresAt,
            createdBy: actor,
            federatesWith: try federatedDomains() ?? [])
    }

    func apply(to entry: inout RegistrationEntry) throws {
        if let spiffeID { entry.spiffeID = try SPIFFEID(spiffeID) }
        if let parentID { entry.parentID = parentID.isEmpty ? nil : try SPIFFEID(parentID) }
        if let selectors { entry.selectors = try selectors.map { try Selector($0) }.sorted() }
        if let x509TTL { entry.x509TTL = x509TTL.seconds }
        if let jwtTTL { entry.jwtTTL = jwtTTL.seconds }
        if let dnsNames { entry.dnsNames = dnsNames }
        if let owner { entry.owner = owner }
        if let purpose { entry.purpose = purpose }
        if let environment { entry.environment = environment.isEmpty ? nil : environment }
        if let expiresAt { entry.expiresAt = expiresAt }
        if let federated = try federatedDomains() { entry.federatesWith = Array(Set(federated)).sorted() }
    }
}

/// A duration written either as seconds (`3600`) or as text (`"1h"`).
struct FlexibleDuration: Decodable {
    let seconds: Int

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let n = try? container.decode(Int.self) {
            seconds = n
        } else {
            seconds = try Lifetime.seconds(try container.decode(String.self))
        }
    }
}
