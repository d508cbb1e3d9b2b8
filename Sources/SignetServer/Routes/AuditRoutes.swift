import Foundation
import Hummingbird
import SignetCore
import SignetStore

/// `/v1/credentials` (what was issued) and `/v1/events` (what happened), plus `/v1/whoami`.
struct AuditRoutes {
    let authority: SignetAuthority

    struct CredentialList: Encodable { let credentials: [CredentialRecord] }
    struct EventList: Encodable { let events: [AuditEvent] }
    struct WhoAmI: Encodable {
        let spiffeID: String
        let admin: Bool
        enum CodingKeys: String, CodingKey {
            case spiffeID = "spiffe_id"
            case admin
        }
    }

    func register(on group: RouterGroup<SignetRequestContext>) {
        group.get("whoami") { _, context in
            try APIJSON.response(WhoAmI(spiffeID: context.actor, admin: true))
        }
        group.get("credentials") { request, _ in
            let q = request.uri.queryParameters
            var query = CredentialQuery()
            if let id = q["spiffe_id"] { query.spiffeID = try SPIFFEID(String(id)) }
            if let kind = q["kind"] {
                guard let k = CredentialRecord.Kind(rawValue: String(kind)) else {
                    throw APIError.badRequest("kind must be x509-svid, jwt-svid or access-token")
                }
                query.kind = k
            }
            query.limit = try limit(q["limit"])
            if let serial = q["serial"] {
                let found = try await authority.store.credential(serial: String(serial))
                return try APIJSON.response(CredentialList(credentials: found.map { [$0] } ?? []))
            }
            return try APIJSON.response(CredentialList(credentials: try await authority.store.listCredentials(query)))
        }
        group.get("events") { request, _ in
            let q = request.uri.queryParameters
            var query = EventQuery()
            if let after = q["after"] {
                guard let n = Int64(after), n >= 0 else { throw APIError.badRequest("after must be a sequence number") }
                query.afterSequence = n
            }
            query.action = q["action"].map(String.init)
            query.limit = try limit(q["limit"])
            return try APIJSON.response(EventList(events: try await authority.store.listEvents(query)))
        }
    }

    private func limit(_ text: Substring?) throws -> Int {
        guard let text else { return 1000 }
        guard let n = Int(text), (1...10_000).contains(n) else {
            throw APIError.badRequest("limit must be an integer between 1 and 10000")
        }
        return n
    }
}
