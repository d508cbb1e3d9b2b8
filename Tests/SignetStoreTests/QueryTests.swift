import Foundation
import SignetCore
import Testing

@testable import SignetStore

@Suite("Entry queries")
struct QueryTests {
    let store: SQLiteStore

    /// Five entries across two environments, two owners, two parents.
    init() async throws {
        store = try SQLiteStore.inMemory()
        let specs: [(id: String, spiffeID: String, parent: String?, selectors: [String], owner: String)] = [
            ("e1", "spiffe://example.org/prod/payments/api", "spiffe://example.org/agent/a", ["unix:uid:1"], "pay"),
            ("e2", "spiffe://example.org/prod/payments/worker", "spiffe://example.org/agent/a", ["unix:uid:2"], "pay"),
            ("e3", "spiffe://example.org/production/ledger", "spiffe://example.org/agent/b", ["unix:uid:1"], "ledger"),
            ("e4", "spiffe://example.org/Prod/legacy", nil, ["unix:uid:1", "k8s:ns:x"], "ledger"),
            ("e5", "spiffe://example.org/dev/payments/api", "spiffe://example.org/agent/b", ["k8s:ns:x"], "pay"),
        ]
        for spec in specs {
            let entry = Fixture.entry(
                id: spec.id, spiffeID: spec.spiffeID, parentID: spec.parent, selectors: spec.selectors,
                owner: spec.owner)
            try await store.createEntry(entry, event: Fixture.event("entry.create", subject: spec.id))
        }
    }

    func ids(_ query: EntryQuery) async throws -> [String] {
        try await store.listEntries(query).map(\.id)
    }

    @Test("no filter lists everything ordered by id")
    func all() async throws {
        #expect(try await ids(EntryQuery()) == ["e1", "e2", "e3", "e4", "e5"])
    }

    @Test("a SPIFFE ID prefix matches by string prefix, case-sensitively")
    func prefix() async throws {
        #expect(try await ids(EntryQuery(spiffeIDPrefix: "spiffe://example.org/prod/")) == ["e1", "e2"])
        #expect(try await ids(EntryQuery(spiffeIDPrefix: "spiffe://example.org/prod")) == ["e1", "e2", "e3"])
        #expect(try await ids(EntryQuery(spiffeIDPrefix: "spiffe://example.org/Prod")) == ["e4"])
        #expect(try await ids(EntryQuery(spiffeIDPrefix: "spiffe://example.org/prod/payments/api")) == ["e1"])
        #expect(try await ids(EntryQuery(spiffeIDPrefix: "spiffe://other.org/")).isEmpty)
        // SQL wildcards in the prefix are literal characters.
        #expect(try await ids(EntryQuery(spiffeIDPrefix: "spiffe://example.org/%")).isEmpty)
        #expect(try await ids(EntryQuery(spiffeIDPrefix: "spiffe://example.org/_rod")).isEmpty)
    }

    @Test("parent, owner and selector filters")
    func filters() async throws {
        #expect(try await ids(EntryQuery(parentID: Fixture.id("spiffe://example.org/agent/b"))) == ["e3", "e5"])
        #expect(try await ids(EntryQuery(owner: "ledger")) == ["e3", "e4"])
        #expect(try await ids(EntryQuery(selector: Fixture.selector("unix:uid:1"))) == ["e1", "e3", "e4"])
        #expect(try await ids(EntryQuery(selector: Fixture.selector("unix:uid:9"))).isEmpty)
    }

    @Test("filters combine with AND")
    func combined() async throws {
        let query = EntryQuery(
            spiffeIDPrefix: "spiffe://example.org/", parentID: Fixture.id("spiffe://example.org/agent/b"),
            owner: "pay", selector: Fixture.selector("k8s:ns:x"))
        #expect(try await ids(query) == ["e5"])
        #expect(try await ids(EntryQuery(owner: "pay", selector: Fixture.selector("unix:uid:1"))) == ["e1"])
    }

    @Test("keyset pagination by id walks every entry exactly once")
    func pagination() async throws {
        var seen: [String] = []
        var after: String? = nil
        while true {
            let page = try await ids(EntryQuery(limit: 2, after: after))
            if page.isEmpty { break }
            #expect(page.count <= 2)
            seen += page
            after = page.last
        }
        #expect(seen == ["e1", "e2", "e3", "e4", "e5"])
        #expect(try await ids(EntryQuery(owner: "pay", limit: 1, after: "e1")) == ["e2"])
        #expect(try await ids(EntryQuery(limit: 0)).isEmpty)
    }

    @Test("entries(spiffeID:) matches the exact ID only")
    func exactID() async throws {
        let found = try await store.entries(spiffeID: Fixture.id("spiffe://example.org/prod/payments/api"))
        #expect(found.map(\.id) == ["e1"])
        #expect(try await store.entries(spiffeID: Fixture.id("spiffe://example.org/prod/payments")).isEmpty)
    }
}
