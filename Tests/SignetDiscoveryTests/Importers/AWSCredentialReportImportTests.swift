import Foundation
import SignetCore
import Testing

@testable import SignetDiscovery

/// The IAM credential report importer against a report shaped like `aws iam get-credential-report`
/// output: the root row, N/A and no_information placeholders, a quoted user name with a comma,
/// inactive keys, CRLF and a byte order mark, and every way a row can be malformed.
@Suite struct AWSCredentialReportImportTests {
    static let header = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated"

    static let rows = [
        "<root_account>,arn:aws:iam::123456789012:root,2019-03-04T08:12:55+00:00,not_supported,2024-04-28T17:02:11+00:00,not_supported,not_supported,true,true,2019-03-04T09:00:00+00:00,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A",
        "alice,arn:aws:iam::123456789012:user/alice,2020-01-15T10:00:00+00:00,true,2024-05-01T09:30:00+00:00,2024-02-01T12:00:00+00:00,2024-08-01T12:00:00+00:00,true,true,2023-11-20T14:05:33+00:00,2024-05-02T07:15:00+00:00,us-east-1,s3,false,2022-06-01T08:00:00+00:00,2022-12-24T18:00:00+00:00,eu-west-1,iam,false,N/A,false,N/A",
        "ci-deploy,arn:aws:iam::123456789012:user/automation/ci-deploy,2021-07-07T07:07:07+00:00,false,N/A,N/A,N/A,false,true,2021-07-07T07:10:00+00:00,N/A,N/A,N/A,true,2024-01-01T00:00:00+00:00,2024-05-03T22:00:00+00:00,us-west-2,sts,true,2021-07-08T00:00:00+00:00,false,N/A",
        "\"build,bot\",\"arn:aws:iam::123456789012:user/build,bot\",2022-02-02T02:02:02+00:00,false,N/A,N/A,N/A,false,false,2022-02-02T03:00:00+00:00,2023-01-05T10:00:00+00:00,us-east-1,ecr,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A",
        "bob,arn:aws:iam::123456789012:user/bob,2023-09-01T12:00:00+00:00,true,no_information,2023-09-01T12:00:00+00:00,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A",
    ]

    static var report: String { ([header] + rows).joined(separator: "\n") + "\n" }

    func item(_ result: ImportResult, _ name: String) throws -> InventoryItem {
        try #require(result.items.first { $0.name == name }, "no item named \(name)")
    }

    @Test func realisticReport() throws {
        let result = try ImportFixtures.parse(Self.report, .awsCredentialReport, source: "credential-report.csv")
        #expect(result.recordsRead == 5)
        #expect(result.warnings.isEmpty)
        #expect(result.items.map(\.name) == [
            "<root_account> (access key 1)",
            "alice (console password)", "alice (access key 1)", "alice (access key 2)",
            "ci-deploy (access key 1)", "ci-deploy (access key 2)", "ci-deploy (signing certificate 1)",
            "build,bot (access key 1)",
            "bob (console password)",
        ])

        let root = try item(result, "<root_account> (access key 1)")
        #expect(root.kind == .cloudAccessKey)
        #expect(root.fingerprint == ImportFixtures.sha256("aws-access-key:arn:aws:iam::123456789012:root:1"))
        #expect(root.id == "cloud-access-key:" + root.fingerprint)
        #expect(root.status == .active)
        #expect(root.created == ImportFixtures.date("2019-03-04T09:00:00Z"))
        #expect(root.lastUsed == nil)
        #expect(root.detector == "import:aws-credential-report")
        #expect(root.attributes == [
            "arn": "arn:aws:iam::123456789012:root", "account": "123456789012", "user": "<root_account>",
            "mfa_active": "true", "key_slot": "1", "never_used": "true", "root": "true",
        ])
        #expect(root.locations.count == 1)
        #expect(root.locations.first?.type == "account")
        #expect(root.locations.first?.target == "arn:aws:iam::123456789012:root")
        #expect(root.locations.first?.firstSeen == ImportFixtures.now)

        let alicePassword = try item(result, "alice (console password)")
        #expect(alicePassword.kind == .password)
        #expect(alicePassword.fingerprint == ImportFixtures.sha256("aws-console-password:arn:aws:iam::123456789012:user/alice"))
        #expect(alicePassword.created == ImportFixtures.date("2024-02-01T12:00:00Z"))
        #expect(alicePassword.lastUsed == ImportFixtures.date("2024-05-01T09:30:00Z"))
        #expect(alicePassword.expires == ImportFixtures.date("2024-08-01T12:00:00Z"))
        #expect(alicePassword.attributes["mfa_active"] == "true")
        #expect(alicePassword.attributes["root"] == nil)

        let aliceKey1 = try item(result, "alice (access key 1)")
        #expect(aliceKey1.status == .active)
        #expect(aliceKey1.created == ImportFixtures.date("2023-11-20T14:05:33Z"))
        #expect(aliceKey1.lastUsed == ImportFixtures.date("2024-05-02T07:15:00Z"))
        #expect(aliceKey1.attributes["last_used_service"] == "s3")
        #expect(aliceKey1.attributes["last_used_region"] == "us-east-1")
        #expect(aliceKey1.attributes["never_used"] == nil)
        #expect(aliceKey1.fingerprint == ImportFixtures.sha256("aws-access-key:arn:aws:iam::123456789012:user/alice:1"))

        let aliceKey2 = try item(result, "alice (access key 2)")
        #expect(aliceKey2.status == .retired)
        #expect(aliceKey2.attributes["key_slot"] == "2")
        #expect(aliceKey2.attributes["last_used_service"] == "iam")
        #expect(aliceKey2.fingerprint == ImportFixtures.sha256("aws-access-key:arn:aws:iam::123456789012:user/alice:2"))

        let ciKey1 = try item(result, "ci-deploy (access key 1)")
        #expect(ciKey1.attributes["never_used"] == "true")
        #expect(ciKey1.attributes["last_used_service"] == nil)
        #expect(ciKey1.attributes["mfa_active"] == "false")
        #expect(ciKey1.locations.first?.target == "arn:aws:iam::123456789012:user/automation/ci-deploy")

        let ciCert = try item(result, "ci-deploy (signing certificate 1)")
        #expect(ciCert.kind == .x509Certificate)
        #expect(ciCert.fingerprint == ImportFixtures.sha256("aws-signing-cert:arn:aws:iam::123456789012:user/automation/ci-deploy:1"))
        #expect(ciCert.created == ImportFixtures.date("2021-07-08T00:00:00Z"))
        #expect(ciCert.certificate == nil)
        #expect(ciCert.attributes["cert_slot"] == "1")

        let bot = try item(result, "build,bot (access key 1)")
        #expect(bot.status == .retired)
        #expect(bot.attributes["user"] == "build,bot")
        #expect(bot.attributes["arn"] == "arn:aws:iam::123456789012:user/build,bot")
        #expect(bot.lastUsed == ImportFixtures.date("2023-01-05T10:00:00Z"))

        let bobPassword = try item(result, "bob (console password)")
        #expect(bobPassword.lastUsed == nil)
        #expect(bobPassword.expires == nil)
        #expect(bobPassword.attributes["mfa_active"] == "false")
        #expect(!result.items.contains { $0.name == "bob (access key 1)" })
    }

    @Test func crlfAndByteOrderMarkReadTheSame() throws {
        let plain = try ImportFixtures.parse(Self.report, .awsCredentialReport)
        let windows = [0xEF, 0xBB, 0xBF] + Array(Self.report.replacingOccurrences(of: "\n", with: "\r\n").utf8)
        let result = try ImportFixtures.importer.parse(windows, format: .awsCredentialReport, source: "r.csv", now: ImportFixtures.now)
        #expect(result.items == plain.items)
        #expect(result.recordsRead == plain.recordsRead)
    }

    @Test func olderReportWithoutLastUsedColumnsAndUnknownColumnsWarnedOnce() throws {
        let header = "user,arn,user_creation_time,password_enabled,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_2_active,access_key_2_last_rotated,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated,extra_column"
        let rows = [
            "carol,arn:aws:iam::210987654321:user/carol,2015-06-17T19:11:50+00:00,false,false,true,2015-06-17T19:12:00+00:00,false,N/A,false,N/A,false,N/A,x",
            "dave,arn:aws:iam::210987654321:user/dave,2015-06-17T19:11:50+00:00,false,false,true,2015-06-17T19:12:00+00:00,false,N/A,false,N/A,false,N/A,y",
        ]
        let result = try ImportFixtures.parse(([header] + rows).joined(separator: "\r\n"), .awsCredentialReport)
        #expect(result.items.count == 2)
        #expect(result.warnings == ["ignored unknown column 'extra_column'"])
        // Without a last-used column the report cannot say "never used".
        #expect(result.items.allSatisfy { $0.attributes["never_used"] == nil && $0.lastUsed == nil })
        #expect(result.items.first?.attributes["account"] == "210987654321")
    }

    @Test func headerOnlyReportIsEmpty() throws {
        let result = try ImportFixtures.parse(Self.header + "\n", .awsCredentialReport)
        #expect(result.items.isEmpty)
        #expect(result.recordsRead == 0)
    }

    // MARK: - Malformed reports

    static func replacing(row index: Int, _ transform: (String) -> String) -> String {
        var rows = rows
        rows[index] = transform(rows[index])
        return ([header] + rows).joined(separator: "\n")
    }

    @Test func quoteInsideUnquotedFieldNamesTheLine() throws {
        let text = Self.replacing(row: 2) { $0.replacingOccurrences(of: "ci-deploy,arn", with: "ci\"deploy,arn") }
        let error = try #require(ImportFixtures.importError(text, .awsCredentialReport))
        #expect(error.record == "line 4")
        #expect(error.description.contains("double quote inside unquoted field 1"))
        #expect(error.source == "bad-input")
        #expect(error.format == .awsCredentialReport)
        #expect(error.description.hasPrefix("bad-input: aws-credential-report line 4: "))
    }

    @Test func textAfterClosingQuoteIsRejected() throws {
        let text = Self.replacing(row: 3) { $0.replacingOccurrences(of: "\"build,bot\",", with: "\"build,bot\"x,") }
        let error = try #require(ImportFixtures.importError(text, .awsCredentialReport))
        #expect(error.record == "line 5")
        #expect(error.problem.contains("after the closing quote"))
    }

    @Test func unterminatedQuoteNamesTheLineItOpensOn() throws {
        // Only rows without quotes follow, so the quote opened on line 3 never closes.
        let rows = [Self.rows[0], Self.rows[1].replacingOccurrences(of: "alice,arn", with: "\"alice,arn"), Self.rows[2]]
        let text = ([Self.header] + rows).joined(separator: "\n")
        let error = try #require(ImportFixtures.importError(text, .awsCredentialReport))
        #expect(error.record == "line 3")
        #expect(error.problem.contains("never closed"))
    }

    @Test func missingColumnInHeader() throws {
        let text = Self.report.replacingOccurrences(of: "mfa_active,", with: "")
        let error = try #require(ImportFixtures.importError(text, .awsCredentialReport))
        #expect(error.record == "header")
        #expect(error.field == "mfa_active")
        #expect(error.expected.contains("credential report header"))
    }

    @Test func wrongHeaderEntirely() throws {
        let error = try #require(ImportFixtures.importError("name,value\nx,y\n", .awsCredentialReport))
        #expect(error.record == "header")
        #expect(error.field == "user")
    }

    @Test func rowWithTooFewFields() throws {
        let text = Self.replacing(row: 4) { String($0.dropLast(4)) }
        let error = try #require(ImportFixtures.importError(text, .awsCredentialReport))
        #expect(error.record == "line 6")
        #expect(error.problem == "21 fields")
        #expect(error.expected.contains("22 fields"))
    }

    @Test func invalidTimestampNamesLineAndColumn() throws {
        let text = Self.replacing(row: 1) { $0.replacingOccurrences(of: "2023-11-20T14:05:33+00:00", with: "2023-13-20T14:05:33+00:00") }
        let error = try #require(ImportFixtures.importError(text, .awsCredentialReport))
        #expect(error.record == "line 3")
        #expect(error.field == "access_key_1_last_rotated")
        #expect(error.problem.contains("2023-13-20T14:05:33+00:00"))
    }

    @Test func invalidBooleanAndPasswordFlag() throws {
        let badFlag = Self.replacing(row: 2) { $0.replacingOccurrences(of: ",false,true,2021-07-07T07:10:00", with: ",false,yes,2021-07-07T07:10:00") }
        let flagError = try #require(ImportFixtures.importError(badFlag, .awsCredentialReport))
        #expect(flagError.field == "access_key_1_active")
        #expect(flagError.expected == "true or false")

        let badPassword = Self.replacing(row: 4) { $0.replacingOccurrences(of: "+00:00,true,no_information", with: "+00:00,maybe,no_information") }
        let passwordError = try #require(ImportFixtures.importError(badPassword, .awsCredentialReport))
        #expect(passwordError.record == "line 6")
        #expect(passwordError.field == "password_enabled")
    }

    @Test func invalidARN() throws {
        let text = Self.replacing(row: 4) { $0.replacingOccurrences(of: "arn:aws:iam::123456789012:user/bob", with: "user/bob") }
        let error = try #require(ImportFixtures.importError(text, .awsCredentialReport))
        #expect(error.field == "arn")
        #expect(error.record == "line 6")
    }

    @Test func emptyInput() throws {
        let error = try #require(ImportFixtures.importError("", .awsCredentialReport))
        #expect(error.problem == "the file is empty")
    }

    // MARK: - Scale

    @Test func hundredThousandRowsImportQuickly() throws {
        var text = Self.header + "\n"
        text.reserveCapacity(30_000_000)
        for index in 0..<100_000 {
            text += "user\(index),arn:aws:iam::123456789012:user/team\(index % 50)/user\(index),2020-01-15T10:00:00+00:00,"
            text += index % 3 == 0 ? "true,2024-05-01T09:30:00+00:00,2024-02-01T12:00:00+00:00,N/A," : "false,N/A,N/A,N/A,"
            text += "true,true,2023-11-20T14:05:33+00:00,2024-05-02T07:15:00+00:00,us-east-1,s3,"
            text += index % 2 == 0 ? "false,2022-06-01T08:00:00+00:00,N/A,N/A,N/A," : "false,N/A,N/A,N/A,N/A,"
            text += "false,N/A,false,N/A\n"
        }
        let bytes = Array(text.utf8)
        let clock = ContinuousClock()
        var result: ImportResult?
        let elapsed = try clock.measure {
            result = try ImportFixtures.importer.parse(bytes, format: .awsCredentialReport, source: "big.csv", now: ImportFixtures.now)
        }
        let imported = try #require(result)
        #expect(imported.recordsRead == 100_000)
        #expect(imported.items.count == 100_000 + 50_000 + 33_334)
        print("imported a 100k-row credential report (\(bytes.count) bytes, \(imported.items.count) items) in \(elapsed)")
        // An optimised build imports this in about 0.7 s of CPU; an unoptimised test build on a busy
        // machine gets room, but a quadratic slip (an O(n) lookup per row) would still blow the budget.
        #if DEBUG
        let budget = Duration.seconds(90)
        #else
        let budget = Duration.seconds(5)
        #endif
        #expect(elapsed < budget, "100k-row credential report took \(elapsed)")
    }
}
