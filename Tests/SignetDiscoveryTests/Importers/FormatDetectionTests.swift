import Foundation
import Testing

@testable import SignetDiscovery

/// `InventoryImporter.detectFormat` recognises each sample and refuses what it cannot place.
@Suite struct FormatDetectionTests {
    func detect(_ text: String) -> ImportFormat? { InventoryImporter.detectFormat(Array(text.utf8)) }

    @Test func eachSampleIsRecognised() throws {
        #expect(detect(AWSCredentialReportImportTests.report) == .awsCredentialReport)
        #expect(InventoryImporter.detectFormat([0xEF, 0xBB, 0xBF] + Array(AWSCredentialReportImportTests.report.utf8)) == .awsCredentialReport)
        #expect(detect(AWSAuthorizationDetailsImportTests.details) == .awsAuthorizationDetails)
        #expect(detect(KubernetesImportTests.listing(try KubernetesImportTests.tlsMaterial())) == .kubernetes)
        #expect(detect(GitHubTokenImportTests.fineGrained) == .githubTokens)
        #expect(detect(GitHubTokenImportTests.authorizations) == .githubTokens)
        #expect(detect(SPIREEntryImportTests.entries) == .spireEntries)
        #expect(detect(GenericImportTests.csv) == .csv)
        #expect(detect("  \n[{\"kind\": \"password\", \"reference\": \"x\"}]") == .json)
        #expect(detect("{\"items\": [{\"kind\": \"api-token\", \"reference\": \"x\"}]}") == .json)
    }

    @Test func unknownInputIsNil() {
        #expect(detect("") == nil)
        #expect(detect("   \n") == nil)
        #expect(detect("name,value\na,b\n") == nil)
        #expect(detect("{\"hello\": \"world\"}") == nil)
        #expect(detect("[{\"hello\": \"world\"}]") == nil)
        #expect(detect("{not json") == nil)
        #expect(detect("\"unterminated,csv") == nil)
    }

    @Test func detectedFormatParses() throws {
        for sample in [AWSCredentialReportImportTests.report, SPIREEntryImportTests.entries, GitHubTokenImportTests.fineGrained] {
            let format = try #require(detect(sample))
            #expect(try !ImportFixtures.parse(sample, format).items.isEmpty)
        }
    }
}
