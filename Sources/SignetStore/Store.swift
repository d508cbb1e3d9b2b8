import Foundation
import SignetCore

/// Signet's persistence seam. One call is one transaction: a change and the
/// audit event describing it commit together or not at all, so the event log
/// and the state never disagree, even across a crash.
///
/// SQLite (``SQLiteStore``) is the embedded default; a PostgreSQL backend
/// implements the same protocol and runs the same conformance tests.
///
/// Instants are kept to the millisecond: a `Date` built from whole
/// milliseconds since 1970 reads back equal; finer parts are rounded.
public protocol Store: Sendable {
    // MARK: Registration entries

    /// Stores a new entry. Throws ``StoreError/conflict(_:)`` when an entry with the same
    /// SPIFFE ID, parent ID and selectors exists, or the id is taken.
    func createEntry(_ entry: RegistrationEntry, event: AuditEvent) async throws
    /// Replaces an entry. Throws ``StoreError/notFound(_:)`` when it does not exist.
    func updateEntry(_ entry: RegistrationEntry, event: AuditEvent) async throws
    /// Deletes an entry and returns what was deleted. Throws ``StoreError/notFound(_:)``.
    @discardableResult
    func deleteEntry(id: String, event: AuditEvent) async throws -> RegistrationEntry
    func entry(id: String) async throws -> RegistrationEntry?
    /// All entries for exactly this SPIFFE ID.
    func entries(spiffeID: SPIFFEID) async throws -> [RegistrationEntry]
    func listEntries(_ query: EntryQuery) async throws -> [RegistrationEntry]

    // MARK: Issued credentials

    /// Durably records an issued credential together with its event and marks `tokens` used,
    /// all in one transaction. Returns only after commit. A token already used and not expired at
    /// `now` throws ``StoreError/conflict(_:)`` and records nothing: a replayed subject token or
    /// client assertion can never yield a second credential, even across servers sharing the store.
    func recordIssuance(_ credential: CredentialRecord, event: AuditEvent, consuming tokens: [TokenUse], now: Date)
        async throws
    /// Used tokens still unexpired at `now` (loaded into the server's replay cache at start).
    func tokenUses(activeAt now: Date) async throws -> [TokenUse]
    /// Forgets used-token records that expired; returns how many.
    @discardableResult
    func purgeTokenUses(expiredBefore instant: Date) async throws -> Int
    func credential(serial: String) async throws -> CredentialRecord?
    func listCredentials(_ query: CredentialQuery) async throws -> [CredentialRecord]

    // MARK: Events

    func appendEvent(_ event: AuditEvent) async throws
    /// Events in ascending sequence order.
    func listEvents(_ query: EventQuery) async throws -> [AuditEvent]

    // MARK: Server state

    /// Small durable key/value facts the server keeps (trust domain, bundle sequence, ...).
    func meta(_ key: String) async throws -> String?
    func setMeta(_ key: String, to value: String, event: AuditEvent?) async throws

    // MARK: Node agents

    /// Stores a new join token (its secret only as a hash). Throws ``StoreError/conflict(_:)`` when the id is taken.
    func createJoinToken(_ token: JoinToken, event: AuditEvent) async throws
    /// Atomically marks a token used by `agentID` and returns it, appending `event` only on success.
    /// Unknown id or wrong secret: ``StoreError/notFound(_:)``; already used or expired at `now`:
    /// ``StoreError/conflict(_:)``. Of concurrent calls for one token, exactly one succeeds.
    func consumeJoinToken(id: String, secretHash: String, agentID: SPIFFEID, now: Date, event: AuditEvent)
        async throws -> JoinToken
    func joinToken(id: String) async throws -> JoinToken?
    /// Inserts or replaces (by SPIFFE ID) an agent record, with its event.
    func saveAgent(_ agent: AgentRecord, event: AuditEvent) async throws
    func agent(id: SPIFFEID) async throws -> AgentRecord?
    /// Every agent, evicted ones included, ordered by SPIFFE ID.
    func listAgents() async throws -> [AgentRecord]
    /// Appends events that accompany no state change, in one transaction (all or none).
    func appendEvents(_ events: [AuditEvent]) async throws

    // MARK: Federation: trust rules, OAuth clients, federated trust domains

    /// Throws ``StoreError/conflict(_:)`` when the id or the name is taken.
    func createTrustRule(_ rule: TrustRule, event: AuditEvent) async throws
    /// Replaces a rule (by id). ``StoreError/notFound(_:)`` when absent; ``StoreError/conflict(_:)``
    /// when the new name belongs to another rule or `expectedRevision` is given and differs.
    func updateTrustRule(_ rule: TrustRule, expectedRevision: Int?, event: AuditEvent) async throws
    @discardableResult
    func deleteTrustRule(id: String, event: AuditEvent) async throws -> TrustRule
    func trustRule(id: String) async throws -> TrustRule?
    func trustRule(name: String) async throws -> TrustRule?
    /// Every rule, ordered by name.
    func listTrustRules() async throws -> [TrustRule]

    /// Throws ``StoreError/conflict(_:)`` when the client id is taken.
    func createOAuthClient(_ client: OAuthClient, event: AuditEvent) async throws
    @discardableResult
    func deleteOAuthClient(id: String, event: AuditEvent) async throws -> OAuthClient
    func oauthClient(id: String) async throws -> OAuthClient?
    /// Every client, ordered by id.
    func listOAuthClients() async throws -> [OAuthClient]

    /// Inserts or replaces (by trust domain) a federation relationship.
    func saveFederation(_ relationship: FederationRelationship, event: AuditEvent) async throws
    /// Deletes a relationship and its fetched bundle. ``StoreError/notFound(_:)`` when absent.
    @discardableResult
    func deleteFederation(trustDomain: TrustDomain, event: AuditEvent) async throws -> FederationRelationship
    func federation(trustDomain: TrustDomain) async throws -> FederationRelationship?
    /// Every relationship, ordered by trust domain.
    func listFederations() async throws -> [FederationRelationship]
    /// Stores the fetch state of a federated domain's bundle, with an event when the bundle changed.
    /// ``StoreError/notFound(_:)`` when no relationship exists for its trust domain.
    func saveFederatedBundle(_ bundle: FederatedBundle, event: AuditEvent?) async throws
    func federatedBundle(trustDomain: TrustDomain) async throws -> FederatedBundle?
    func listFederatedBundles() async throws -> [FederatedBundle]

    // MARK: Inventory

    /// Merges sightings into the inventory in one transaction (one item per id; see
    /// `InventoryItem.merge`) and appends the event built from what happened. Owners follow
    /// `InventoryOwnership`: a manual owner is never replaced. Marks findings stale.
    func ingestInventory(
        _ items: [InventoryItem], actor: String, event: @escaping @Sendable (InventoryIngestSummary) -> AuditEvent
    ) async throws -> InventoryIngestSummary
    func inventoryItem(id: String) async throws -> InventoryItem?
    func listInventory(_ query: InventoryQuery) async throws -> [InventoryItem]
    func countInventory() async throws -> Int
    /// Owner and status changes, oldest first.
    func inventoryHistory(id: String) async throws -> [InventoryHistoryEntry]
    /// Sets (or, with nil, clears) an item's owner by hand. ``StoreError/notFound(_:)`` when absent.
    func assignInventoryOwner(itemID: String, owner: String?, actor: String, event: AuditEvent) async throws
        -> InventoryItem
    func setInventoryStatus(itemID: String, status: InventoryItem.Status, actor: String, event: AuditEvent)
        async throws -> InventoryItem

    // MARK: Ownership

    func createTeam(_ team: Team, event: AuditEvent) async throws
    @discardableResult
    func deleteTeam(name: String, event: AuditEvent) async throws -> Team
    func listTeams() async throws -> [Team]
    /// ``StoreError/notFound(_:)`` when its team is not registered.
    func createOwnershipRule(_ rule: OwnershipRule, event: AuditEvent) async throws
    @discardableResult
    func deleteOwnershipRule(id: String, event: AuditEvent) async throws -> OwnershipRule
    func listOwnershipRules() async throws -> [OwnershipRule]

    // MARK: Findings

    /// Re-derives every finding from the inventory with `evaluate`, keeping each surviving
    /// finding's first-detected time and deleting findings no longer raised.
    func recomputeFindings(
        now: Date, evaluate: @escaping @Sendable (InventoryItem) -> [Finding],
        event: @escaping @Sendable (FindingsRecomputation) -> AuditEvent
    ) async throws -> FindingsRecomputation
    func findingsFreshness() async throws -> (computedAt: Date?, stale: Bool)
    func listFindings(_ query: FindingQuery) async throws -> [StoredFinding]
    func riskScores(itemIDs: [String]) async throws -> [String: Int]
}

extension Store {
    /// Records an issuance that consumes no single-use token.
    public func recordIssuance(_ credential: CredentialRecord, event: AuditEvent) async throws {
        try await recordIssuance(credential, event: event, consuming: [], now: Date())
    }
}

public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    case notFound(String)
    case conflict(String)
    case corrupt(String)

    public var description: String {
        switch self {
        case .notFound(let s): "not found: \(s)"
        case .conflict(let s): "conflict: \(s)"
        case .corrupt(let s): "stored data is unreadable: \(s)"
        }
    }
}

public struct EntryQuery: Sendable, Equatable {
    public var spiffeIDPrefix: String?
    public var parentID: SPIFFEID?
    public var owner: String?
    public var selector: Selector?
    public var limit: Int
    /// Entries whose id sorts after this one (keyset pagination).
    public var after: String?

    public init(
        spiffeIDPrefix: String? = nil, parentID: SPIFFEID? = nil, owner: String? = nil, selector: Selector? = nil,
        limit: Int = 1000, after: String? = nil
    ) {
        self.spiffeIDPrefix = spiffeIDPrefix
        self.parentID = parentID
        self.owner = owner
        self.selector = selector
        self.limit = limit
        self.after = after
    }
}

public struct CredentialQuery: Sendable, Equatable {
    public var spiffeID: SPIFFEID?
    public var kind: CredentialRecord.Kind?
    public var limit: Int

    public init(spiffeID: SPIFFEID? = nil, kind: CredentialRecord.Kind? = nil, limit: Int = 1000) {
        self.spiffeID = spiffeID
        self.kind = kind
        self.limit = limit
    }
}

public struct EventQuery: Sendable, Equatable {
    /// Only events with a sequence greater than this.
    public var afterSequence: Int64
    public var action: String?
    public var limit: Int

    public init(afterSequence: Int64 = 0, action: String? = nil, limit: Int = 1000) {
        self.afterSequence = afterSequence
        self.action = action
        self.limit = limit
    }
}
