import Foundation
import SignetCore
import SignetPKI

/// Everything the Workload API serves, as one immutable value. Each change (sync,
/// rotation, bundle update) produces a new snapshot with a higher version; streams
/// send the complete new state, never a diff.
public struct AgentSnapshot: Sendable {
    public let version: UInt64
    public let trustDomain: TrustDomain
    public let entries: [String: RegistrationEntry]
    public let svids: [String: WorkloadSVID]
    /// X.509 trust anchors of the trust domain, DER.
    public let bundleRootsDER: [[UInt8]]
    /// The JWT bundle (the `jwt-svid` keys only) served by FetchJWTBundles.
    public let bundleJSON: [UInt8]
    public let jwtKeys: [JWTPublicKey]
    /// Bundles of the federated trust domains this node's entries name in `federates_with`, one per
    /// domain, never merged with each other or with the own bundle. A workload receives only those
    /// its own entries name.
    public let federatedBundles: [TrustDomain: FederatedTrust]
    /// Entries that list each selector, so matching a workload looks at a handful of entries, not all.
    let entriesBySelector: [Selector: [String]]
    /// Entries with no selectors match every workload on the node.
    let unconditionalEntries: [String]

    init(
        version: UInt64, trustDomain: TrustDomain, entries: [String: RegistrationEntry], svids: [String: WorkloadSVID],
        bundle: TrustBundle, federatedBundles: [TrustDomain: TrustBundle] = [:]
    ) throws {
        self.version = version
        self.trustDomain = trustDomain
        self.entries = entries
        self.svids = svids
        self.bundleRootsDER = try bundle.x509Authorities.map { try TrustBundle.der($0) }
        self.bundleJSON = try bundle.jwtBundleJSON()
        self.jwtKeys = bundle.jwtAuthorities
        var federated: [TrustDomain: FederatedTrust] = [:]
        for (td, other) in federatedBundles where td != trustDomain && other.trustDomain == td {
            federated[td] = try FederatedTrust(other)
        }
        self.federatedBundles = federated
        var index: [Selector: [String]] = [:]
        var unconditional: [String] = []
        for entry in entries.values {
            if entry.selectors.isEmpty {
                unconditional.append(entry.id)
            }
            for selector in entry.selectors { index[selector, default: []].append(entry.id) }
        }
        entriesBySelector = index
        unconditionalEntries = unconditional
    }

    /// Entries whose selectors are all among the workload's, in a stable order (by SPIFFE ID, then id):
    /// the first one is the workload's default identity.
    public func matchingEntries(for selectors: Set<Selector>) -> [RegistrationEntry] {
        var candidates = Set(unconditionalEntries)
        for selector in selectors {
            if let ids = entriesBySelector[selector] { candidates.formUnion(ids) }
        }
        let now = Date()
        return candidates.compactMap { entries[$0] }
            .filter { entry in !entry.isExpired(at: now) && entry.selectors.allSatisfy { selectors.contains($0) } }
            .sorted { ($0.spiffeID.description, $0.id) < ($1.spiffeID.description, $1.id) }
    }

    /// The federated trust domains named by the entries matching `selectors` that have a bundle here.
    public func federatedDomains(for selectors: Set<Selector>) -> [TrustDomain] {
        Set(matchingEntries(for: selectors).flatMap(\.federatesWith))
            .filter { federatedBundles[$0] != nil }
            .sorted()
    }

    /// The X.509-SVIDs a workload may have right now (matching entries that have an unexpired SVID).
    public func x509SVIDs(for selectors: Set<Selector>) -> [WorkloadSVID] {
        let now = Date()
        return matchingEntries(for: selectors).compactMap { entry in
            guard let svid = svids[entry.id], !svid.isExpired(at: now) else { return nil }
            return svid
        }
    }
}

/// One federated trust domain's bundle, in the forms the Workload API serves.
public struct FederatedTrust: Sendable {
    public let trustDomain: TrustDomain
    /// X.509 authorities, DER, concatenated as the Workload API's bundle maps carry them.
    public let rootsDER: [UInt8]
    /// The JWT bundle (only `jwt-svid` keys), as FetchJWTBundles serves it.
    public let jwtBundleJSON: [UInt8]
    public let jwtKeys: [JWTPublicKey]

    init(_ bundle: TrustBundle) throws {
        trustDomain = bundle.trustDomain
        rootsDER = try bundle.x509Authorities.flatMap { try TrustBundle.der($0) }
        jwtBundleJSON = try bundle.jwtBundleJSON()
        jwtKeys = bundle.jwtAuthorities
    }
}
