import Foundation
import Hummingbird
import SignetCore

/// `/v1/federations` (admin mTLS): add or replace, list, show, delete federation relationships,
/// and fetch a peer's bundle now.
struct FederationRoutes {
    let authority: SignetAuthority

    func register(on group: RouterGroup<SignetRequestContext>) {
        group.post("federations") { request, context in
            let input = try await request.decode(as: FederationInput.self, context: context)
            let relationship = try input.relationship(actor: context.actor)
            let created = try await authority.saveFederation(relationship, actor: context.actor)
            return try APIJSON.response(
                try view(relationship.trustDomain), status: created ? .created : .ok)
        }
        group.get("federations") { _, _ in
            let views = authority.federatedBundles.slots.map { FederationView(slot: $0, authority: authority) }
            return try APIJSON.response(FederationList(federations: views))
        }
        group.get("federations/{trust_domain}") { _, context in
            try APIJSON.response(try view(try Self.trustDomain(context)))
        }
        group.delete("federations/{trust_domain}") { _, context in
            let td = try Self.trustDomain(context)
            guard authority.federatedBundles.relationship(td) != nil else { throw Self.notFound(td) }
            let deleted = try await authority.deleteFederation(td, actor: context.actor)
            return try APIJSON.response(deleted)
        }
        group.post("federations/{trust_domain}/refresh") { _, context in
            let td = try Self.trustDomain(context)
            guard authority.federatedBundles.relationship(td) != nil else { throw Self.notFound(td) }
            await authority.refreshFederatedBundle(td)
            return try APIJSON.response(try view(td))
        }
    }

    private func view(_ trustDomain: TrustDomain) throws -> FederationView {
        guard let slot = authority.federatedBundles.slot(trustDomain) else { throw Self.notFound(trustDomain) }
        return FederationView(slot: slot, authority: authority)
    }

    static func trustDomain(_ context: SignetRequestContext) throws -> TrustDomain {
        let text = try context.parameters.require("trust_domain")
        do {
            return try TrustDomain(text)
        } catch {
            throw APIError.badRequest("'\(text)' is not a trust domain name: \(error.description)")
        }
    }

    static func notFound(_ trustDomain: TrustDomain) -> APIError {
        .notFound("no federation with \(trustDomain); list them with `signet federation list`")
    }
}

/// The body of `POST /v1/federations`.
struct FederationInput: Decodable {
    var trustDomain: String
    var bundleEndpointURL: String
    var profile: String
    var endpointSPIFFEID: String?
    /// SPIFFE bundle JSON, as text (or, for convenience, as the JSON object itself).
    var bootstrapBundle: JSONValue?

    enum CodingKeys: String, CodingKey {
        case trustDomain = "trust_domain"
        case bundleEndpointURL = "bundle_endpoint_url"
        case profile
        case endpointSPIFFEID = "endpoint_spiffe_id"
        case bootstrapBundle = "bootstrap_bundle"
    }

    func relationship(actor: String) throws -> FederationRelationship {
        let td: TrustDomain
        do {
            td = try TrustDomain(trustDomain)
        } catch {
            throw APIError.badRequest("trust_domain '\(trustDomain)' is not a trust domain name: \(error.description)")
        }
        let bootstrap: String?
        switch bootstrapBundle {
        case nil, .null?: bootstrap = nil
        case .string(let text)?: bootstrap = text
        case .object?:
            var text = ""
            bootstrapBundle?.write(into: &text)
            bootstrap = text
        default: throw APIError.badRequest("bootstrap_bundle must be SPIFFE bundle JSON (text or object)")
        }
        let resolved: FederationRelationship.Profile
        switch profile {
        case "https_web":
            guard endpointSPIFFEID == nil else {
                throw APIError.badRequest("endpoint_spiffe_id applies only to profile https_spiffe")
            }
            resolved = .httpsWeb
        case "https_spiffe":
            guard let endpointSPIFFEID else {
                throw APIError.badRequest(
                    "profile https_spiffe needs endpoint_spiffe_id: the SPIFFE ID the bundle endpoint's server presents")
            }
            resolved = .httpsSPIFFE(endpointSPIFFEID: try SPIFFEID(endpointSPIFFEID))
        default:
            throw APIError.badRequest("profile must be https_web or https_spiffe, got '\(profile)'")
        }
        return FederationRelationship(
            trustDomain: td, bundleEndpointURL: bundleEndpointURL, profile: resolved, bootstrapBundle: bootstrap,
            createdBy: actor)
    }
}

struct FederationList: Encodable {
    let federations: [FederationView]
}

/// A relationship and its bundle state, as the API shows them.
struct FederationView: Encodable {
    let trustDomain: String
    let bundleEndpointURL: String
    let profile: String
    let endpointSPIFFEID: String?
    let bootstrapBundle: String?
    let createdBy: String
    let createdAt: Date
    let updatedAt: Date
    let bundle: FederatedBundle
    /// When the poller will fetch next.
    let nextRefreshAt: Date?

    init(slot: FederatedBundleCache.Slot, authority: SignetAuthority) {
        let relationship = slot.relationship
        trustDomain = relationship.trustDomain.name
        bundleEndpointURL = relationship.bundleEndpointURL
        profile = relationship.profile.name
        if case .httpsSPIFFE(let id) = relationship.profile { endpointSPIFFEID = id.description } else { endpointSPIFFEID = nil }
        bootstrapBundle = relationship.bootstrapBundle
        createdBy = relationship.createdBy
        createdAt = relationship.createdAt
        updatedAt = relationship.updatedAt
        bundle = slot.state
        let next = authority.nextFederationPoll(slot)
        nextRefreshAt = next == .distantPast ? nil : next
    }

    enum CodingKeys: String, CodingKey {
        case trustDomain = "trust_domain"
        case bundleEndpointURL = "bundle_endpoint_url"
        case profile
        case endpointSPIFFEID = "endpoint_spiffe_id"
        case bootstrapBundle = "bootstrap_bundle"
        case createdBy = "created_by"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case bundle
        case nextRefreshAt = "next_refresh_at"
    }
}
