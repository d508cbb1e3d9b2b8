import Foundation
import SignetCore
import Testing

@testable import SignetDiscovery

/// `spire-server entry show -output json` output, in protobuf's JSON mapping.
@Suite struct SPIREEntryImportTests {
    static let entries = """
        {
          "entries": [
            {
              "id": "2b6a1d8e-3c49-4a8f-b6c1-0f3e2d1c4b5a",
              "spiffe_id": {"trust_domain": "example.org", "path": "/ns/payments/sa/billing"},
              "parent_id": {"trust_domain": "example.org", "path": "/spire/agent/k8s_psat/prod/7c1e"},
              "selectors": [
                {"type": "k8s", "value": "ns:payments"},
                {"type": "k8s", "value": "sa:billing"}
              ],
              "x509_svid_ttl": 3600,
              "federates_with": ["spiffe://partner.example"],
              "admin": false,
              "downstream": false,
              "expires_at": "1735689600",
              "dns_names": ["billing.payments.svc"],
              "revision_number": "3",
              "store_svid": false,
              "jwt_svid_ttl": 300,
              "hint": "billing",
              "created_at": "1700000000"
            },
            {
              "id": "00000000-0000-0000-0000-00000000adm1",
              "spiffe_id": {"trust_domain": "example.org", "path": "/ops/admin-cli"},
              "parent_id": {"trust_domain": "example.org", "path": "/spire/agent/join_token/6f1d"},
              "selectors": [{"type": "unix", "value": "uid:0"}],
              "x509_svid_ttl": 0,
              "federates_with": [],
              "admin": true,
              "downstream": false,
              "expires_at": "0",
              "dns_names": [],
              "revision_number": "0",
              "store_svid": false,
              "jwt_svid_ttl": 0,
              "hint": "",
              "created_at": "1690000000"
            },
            {
              "id": "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a",
              "spiffe_id": {"trust_domain": "example.org", "path": "/nested/spire-server"},
              "parent_id": {"trust_domain": "example.org", "path": "/spire/agent/x509pop/edge-1"},
              "selectors": [{"type": "docker", "value": "label:role:spire-server"}],
              "x509_svid_ttl": 86400,
              "admin": false,
              "downstream": true,
              "expires_at": 0,
              "created_at": 1695000000
            }
          ],
          "next_page_token": ""
        }
        """

    @Test func registrationEntries() throws {
        let result = try ImportFixtures.parse(Self.entries, .spireEntries, source: "spire-entries.json")
        #expect(result.recordsRead == 3)
        #expect(result.warnings.isEmpty)
        #expect(result.items.map(\.name) == [
            "spiffe://example.org/ns/payments/sa/billing", "spiffe://example.org/ops/admin-cli",
            "spiffe://example.org/nested/spire-server",
        ])

        let billing = try #require(result.items.first)
        #expect(billing.kind == .signetEntry)
        #expect(billing.fingerprint == ImportFixtures.sha256("spire-entry:2b6a1d8e-3c49-4a8f-b6c1-0f3e2d1c4b5a"))
        #expect(billing.attributes == [
            "spiffe_id": "spiffe://example.org/ns/payments/sa/billing",
            "parent_id": "spiffe://example.org/spire/agent/k8s_psat/prod/7c1e",
            "selectors": "k8s:ns:payments,k8s:sa:billing", "x509_svid_ttl": "3600", "jwt_svid_ttl": "300",
            "admin": "false", "downstream": "false", "federates_with": "spiffe://partner.example",
            "dns_names": "billing.payments.svc", "hint": "billing",
        ])
        #expect(billing.created == Date(timeIntervalSince1970: 1_700_000_000))
        #expect(billing.expires == Date(timeIntervalSince1970: 1_735_689_600))
        #expect(billing.privileges == [])
        #expect(billing.locations.map(\.type) == ["account"])
        #expect(billing.locations.map(\.target) == ["spire:2b6a1d8e-3c49-4a8f-b6c1-0f3e2d1c4b5a"])
        #expect(billing.detector == "import:spire-entries")

        let admin = result.items[1]
        #expect(admin.privileges == ["spire:admin"])
        #expect(admin.expires == nil)
        #expect(admin.attributes["admin"] == "true")
        #expect(admin.attributes["x509_svid_ttl"] == "0")
        #expect(admin.attributes["hint"] == nil)
        #expect(admin.attributes["federates_with"] == nil)

        let nested = result.items[2]
        #expect(nested.privileges == ["spire:downstream"])
        #expect(nested.created == Date(timeIntervalSince1970: 1_695_000_000))
        #expect(nested.expires == nil)
        #expect(nested.attributes["selectors"] == "docker:label:role:spire-server")
    }

    @Test func emptyServer() throws {
        let result = try ImportFixtures.parse(#"{"entries": [], "next_page_token": ""}"#, .spireEntries)
        #expect(result.items.isEmpty)
        #expect(result.recordsRead == 0)
    }

    @Test func malformedEntries() throws {
        let noEntries = try #require(ImportFixtures.importError(#"{"results": []}"#, .spireEntries))
        #expect(noEntries.field == "entries")

        let noID = Self.entries.replacingOccurrences(of: "\"id\": \"9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a\",", with: "")
        let idError = try #require(ImportFixtures.importError(noID, .spireEntries))
        #expect(idError.record == "entries[2]")
        #expect(idError.field == "id")

        let noSPIFFEID = Self.entries.replacingOccurrences(
            of: "\"spiffe_id\": {\"trust_domain\": \"example.org\", \"path\": \"/ops/admin-cli\"},", with: "")
        let spiffeError = try #require(ImportFixtures.importError(noSPIFFEID, .spireEntries))
        #expect(spiffeError.record == "entries[1] (entry 00000000-0000-0000-0000-00000000adm1)")
        #expect(spiffeError.field == "spiffe_id")

        let badPath = Self.entries.replacingOccurrences(of: "\"path\": \"/ops/admin-cli\"", with: "\"path\": \"ops/admin-cli\"")
        #expect(ImportFixtures.importError(badPath, .spireEntries)?.field == "path")

        let badExpiry = Self.entries.replacingOccurrences(of: "\"expires_at\": \"1735689600\"", with: "\"expires_at\": \"soon\"")
        let expiryError = try #require(ImportFixtures.importError(badExpiry, .spireEntries))
        #expect(expiryError.field == "expires_at")
        #expect(expiryError.record == "entries[0] (entry 2b6a1d8e-3c49-4a8f-b6c1-0f3e2d1c4b5a)")

        let badAdmin = Self.entries.replacingOccurrences(of: "\"admin\": true", with: "\"admin\": \"true\"")
        #expect(ImportFixtures.importError(badAdmin, .spireEntries)?.field == "admin")

        let duplicate = Self.entries.replacingOccurrences(of: "\"hint\": \"billing\",", with: "\"hint\": \"billing\", \"hint\": \"x\",")
        #expect(ImportFixtures.importError(duplicate, .spireEntries)?.problem.contains("duplicate member") == true)
    }
}
