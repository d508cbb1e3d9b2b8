import Foundation
import Testing

@testable import SignetDiscovery

/// Inputs meant to hurt: oversized, deeply nested, binary, truncated. Each must end in an
/// `ImportError` (or a clean result), never a crash or a partial import.
@Suite struct ImportSafetyTests {
    @Test func oversizedInputIsRefusedForEveryFormat() throws {
        let bytes = [UInt8](repeating: UInt8(ascii: " "), count: InventoryImporter.maximumInputSize + 1)
        for format in ImportFormat.allCases {
            let error = try #require(ImportFixtures.importError(bytes, format))
            #expect(error.record == "input")
            #expect(error.expected.contains("256 MiB"))
        }
        #expect(InventoryImporter.detectFormat(bytes) == nil)
    }

    @Test func deeplyNestedJSONIsAnErrorNotAStackOverflow() throws {
        let text = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        for format in ImportFormat.allCases where format != .csv && format != .awsCredentialReport {
            let error = try #require(ImportFixtures.importError(text, format))
            #expect(error.problem.contains("nested deeper"))
        }
        #expect(InventoryImporter.detectFormat(Array(text.utf8)) == nil)
    }

    @Test func binaryAndEmptyInputs() throws {
        var generator = SystemRandomNumberGenerator()
        let noise = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }
        for format in ImportFormat.allCases {
            for input in [noise, [], [0xEF, 0xBB, 0xBF], [0x00], Array("\"".utf8)] {
                do {
                    let result = try ImportFixtures.importer.parse(input, format: format, source: "noise", now: ImportFixtures.now)
                    #expect(result.items.isEmpty, "\(format) produced items from noise")
                } catch let error as ImportError {
                    #expect(error.source == "noise")
                    #expect(error.format == format)
                }
            }
        }
        _ = InventoryImporter.detectFormat(noise)
    }

    @Test func invalidUTF8InCSVIsAnError() throws {
        var bytes = Array((AWSCredentialReportImportTests.header + "\n").utf8)
        bytes += Array("alice,arn:aws:iam::123456789012:user/alice".utf8) + [0xC3, 0x28]
        bytes += Array(",2020-01-15T10:00:00+00:00,false,N/A,N/A,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n".utf8)
        let error = try #require(ImportFixtures.importError(bytes, .awsCredentialReport))
        #expect(error.record == "line 2")
        #expect(error.problem.contains("UTF-8"))
    }

    @Test func everyTruncationOfASampleFailsCleanlyOrParses() throws {
        // Cutting a file anywhere must never crash; JSON cut short is always an error.
        let json = SPIREEntryImportTests.entries
        for length in stride(from: 0, to: json.utf8.count - 1, by: 37) {
            let bytes = Array(json.utf8.prefix(length))
            #expect(ImportFixtures.importError(bytes, .spireEntries) != nil, "truncated at \(length) bytes was accepted")
        }
        let csv = AWSCredentialReportImportTests.report
        for length in stride(from: 0, to: csv.utf8.count, by: 53) {
            _ = try? ImportFixtures.importer.parse(Array(csv.utf8.prefix(length)), format: .awsCredentialReport, source: "cut", now: ImportFixtures.now)
        }
    }

    @Test func errorMessagesTruncateHugeValues() throws {
        let huge = String(repeating: "9", count: 100_000)
        let text = "kind,reference,created\npassword,r,\(huge)\n"
        let error = try #require(ImportFixtures.importError(text, .csv))
        #expect(error.description.count < 400)
        #expect(error.description.contains("…"))
    }
}
