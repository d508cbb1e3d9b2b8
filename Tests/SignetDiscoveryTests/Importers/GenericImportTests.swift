import Foundation
import SignetCore
import Testing

@testable import SignetDiscovery

/// Signet's generic CSV and JSON import formats.
@Suite struct GenericImportTests {
    static let fingerprint = "sha256:" + String(repeating: "ab", count: 32)

    static let csv = """
        kind,name,fingerprint,reference,owner,purpose,environment,created,expires,last_used,algorithm,key_size,location,privileges,status,comment
        x509-certificate,payments gateway cert,\(fingerprint.uppercased().replacingOccurrences(of: "SHA256", with: "sha256")),,payments,mTLS to the acquirer,production,2024-01-01,2025-01-01T00:00:00Z,,EC P-256,256,tls:gateway.example.com:443,,active,renewed by hand
        password,"Oracle DB, SYS account",,vault:secret/data/oracle/sys,dba-team,,production,2019-05-01T08:00:00+02:00,,2024-05-01,,,account:prod-oracle,SYSDBA;DBA,,"legacy, ""do not touch""\"
        api-token,,,ticket-4711,,,,,,,,,,,retired,
        """

    @Test func genericCSV() throws {
        let result = try ImportFixtures.parse(Self.csv, .csv, source: "manual-inventory.csv")
        #expect(result.recordsRead == 3)
        #expect(result.warnings == ["ignored unknown column 'comment'"])
        #expect(result.items.count == 3)

        let certificate = result.items[0]
        #expect(certificate.kind == .x509Certificate)
        #expect(certificate.fingerprint == Self.fingerprint)
        #expect(certificate.name == "payments gateway cert")
        #expect(certificate.owner == "payments")
        #expect(certificate.ownerSource == "source")
        #expect(certificate.purpose == "mTLS to the acquirer")
        #expect(certificate.environment == "production")
        #expect(certificate.created == ImportFixtures.date("2024-01-01T00:00:00Z"))
        #expect(certificate.expires == ImportFixtures.date("2025-01-01T00:00:00Z"))
        #expect(certificate.algorithm == "EC P-256")
        #expect(certificate.keySize == 256)
        #expect(certificate.locations.map(\.type) == ["tls"])
        #expect(certificate.locations.map(\.target) == ["gateway.example.com:443"])
        #expect(certificate.status == .active)
        #expect(certificate.detector == "import:csv")
        #expect(certificate.attributes.isEmpty)

        let password = result.items[1]
        #expect(password.kind == .password)
        #expect(password.name == "Oracle DB, SYS account")
        #expect(password.fingerprint == ImportFixtures.sha256("generic:vault:secret/data/oracle/sys"))
        #expect(password.attributes == ["reference": "vault:secret/data/oracle/sys"])
        #expect(password.created == ImportFixtures.date("2019-05-01T06:00:00Z"))
        #expect(password.lastUsed == ImportFixtures.date("2024-05-01T00:00:00Z"))
        #expect(password.privileges == ["SYSDBA", "DBA"])
        #expect(password.locations.map(\.type) == ["account"])
        #expect(password.locations.map(\.target) == ["prod-oracle"])

        let token = result.items[2]
        #expect(token.kind == .apiToken)
        #expect(token.status == .retired)
        #expect(token.name == nil)
        #expect(token.owner == nil)
        #expect(token.locations.map(\.type) == ["import"])
        #expect(token.locations.map(\.target) == ["manual-inventory.csv"])
    }

    @Test func genericJSONArrayAndItemsObjectAgree() throws {
        let array = """
            [
              {"kind": "ssh-key", "name": "bastion deploy key", "fingerprint": "\(Self.fingerprint)", "owner": "sre",
               "created": "2022-02-02", "key_size": 4096, "algorithm": "RSA", "location": "file:/home/deploy/.ssh/id_rsa",
               "privileges": ["root@bastion"], "status": "active", "notes": "ignored"},
              {"kind": "cloud-access-key", "reference": "gcp:projects/acme/serviceAccounts/ci@acme.iam/keys/0f1e", "expires": null,
               "location": ["account:gcp-acme"], "privileges": "roles/editor;roles/iam.serviceAccountUser", "notes": "x"}
            ]
            """
        let fromArray = try ImportFixtures.parse(array, .json, source: "keys.json")
        let fromObject = try ImportFixtures.parse("{\"items\": \(array)}", .json, source: "keys.json")
        #expect(fromArray.items == fromObject.items)
        #expect(fromArray.warnings == ["ignored unknown field 'notes'"])
        #expect(fromArray.recordsRead == 2)

        let key = fromArray.items[0]
        #expect(key.kind == .sshKey)
        #expect(key.keySize == 4096)
        #expect(key.privileges == ["root@bastion"])
        #expect(key.locations.first?.type == "file")
        #expect(key.locations.first?.target == "/home/deploy/.ssh/id_rsa")
        #expect(key.detector == "import:json")

        let cloud = fromArray.items[1]
        #expect(cloud.fingerprint == ImportFixtures.sha256("generic:gcp:projects/acme/serviceAccounts/ci@acme.iam/keys/0f1e"))
        #expect(cloud.privileges == ["roles/editor", "roles/iam.serviceAccountUser"])
        #expect(cloud.locations.first?.target == "gcp-acme")
        #expect(cloud.expires == nil)
    }

    @Test func duplicateRowsMergeIntoOneItem() throws {
        let text = """
            kind,reference,location
            password,vault:db,account:a
            password,vault:db,account:b
            """
        let result = try ImportFixtures.parse(text, .csv)
        #expect(result.recordsRead == 2)
        #expect(result.items.count == 1)
        #expect(result.items.first?.locations.map(\.target) == ["a", "b"])
    }

    // MARK: - Malformed input

    func csvError(_ row: String, header: String = "kind,name,fingerprint,reference,created,key_size,location,status") -> ImportError? {
        ImportFixtures.importError(header + "\n" + row + "\n", .csv)
    }

    @Test func unknownKind() throws {
        let error = try #require(csvError("certificate,x,,ref1,,,,"))
        #expect(error.record == "line 2")
        #expect(error.field == "kind")
        #expect(error.expected.contains("x509-certificate"))
    }

    @Test func missingRequiredFields() throws {
        #expect(csvError(",x,,ref1,,,,")?.field == "kind")
        let noIdentity = try #require(csvError("password,x,,,,,,"))
        #expect(noIdentity.field == "fingerprint")
        #expect(noIdentity.problem.contains("neither fingerprint nor reference"))
        let header = try #require(ImportFixtures.importError("name,reference\nx,y\n", .csv))
        #expect(header.record == "header")
        #expect(header.field == "kind")
        let noIdentityColumn = try #require(ImportFixtures.importError("kind,name\npassword,y\n", .csv))
        #expect(noIdentityColumn.record == "header")
    }

    @Test func invalidValues() throws {
        #expect(csvError("password,x,sha256:abc,,,,,")?.field == "fingerprint")
        #expect(csvError("password,x,md5:\(String(repeating: "0", count: 64)),,,,,")?.field == "fingerprint")
        let date = try #require(csvError("password,x,,ref,2024-02-30,,,"))
        #expect(date.field == "created")
        #expect(date.problem.contains("2024-02-30"))
        #expect(csvError("password,x,,ref,,-1,,")?.field == "key_size")
        #expect(csvError("password,x,,ref,,,somewhere,")?.field == "location")
        #expect(csvError("password,x,,ref,,,ftp:host,")?.field == "location")
        #expect(csvError("password,x,,ref,,,,compromised")?.field == "status")
        let fields = try #require(csvError("password,x,,ref"))
        #expect(fields.problem == "4 fields")
    }

    @Test func malformedJSON() throws {
        #expect(ImportFixtures.importError(#"{"kind": "password"}"#, .json)?.problem.contains("neither an array") == true)
        #expect(ImportFixtures.importError(#"[{"kind": "password", "reference": "r", "name": {"a": 1}}]"#, .json)?.field == "name")
        #expect(ImportFixtures.importError(#"[{"kind": "password", "reference": "r", "privileges": [1]}]"#, .json)?.field == "privileges")
        #expect(ImportFixtures.importError(#"[{"kind": "password", "reference": "r"}, 7]"#, .json)?.record == "[1]")
        let unknown = try #require(ImportFixtures.importError(#"{"items": [{"kind": "passwd", "reference": "r"}]}"#, .json))
        #expect(unknown.record == "items[0]")
        #expect(unknown.field == "kind")
        #expect(ImportFixtures.importError("[{\"kind\": \"password\", \"reference\": \"r\"}", .json)?.problem.hasPrefix("invalid JSON") == true)
    }
}
