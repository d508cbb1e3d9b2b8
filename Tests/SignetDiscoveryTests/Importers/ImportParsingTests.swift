import Foundation
import Testing

@testable import SignetDiscovery

/// The building blocks: the RFC 4180 reader and the hand-written ISO 8601 parser.
@Suite struct ImportParsingTests {
    func records(_ text: String) throws -> [[String]] {
        var reader = CSVReader(bytes: Array(text.utf8))
        var result: [[String]] = []
        while let record = try reader.next() { result.append(record.fields) }
        return result
    }

    @Test func csvQuotingPerRFC4180() throws {
        #expect(try records("a,b,c\r\n1,\"x,y\",\"say \"\"hi\"\"\"\r\n") == [["a", "b", "c"], ["1", "x,y", "say \"hi\""]])
        #expect(try records("a,\"multi\nline\",c\n\nd,e,\n") == [["a", "multi\nline", "c"], ["d", "e", ""]])
        #expect(try records("\"\",x") == [["", "x"]])
        #expect(try records("x,") == [["x", ""]])
        #expect(try records("é,ü\n") == [["é", "ü"]])
    }

    @Test func csvLineNumbersCountLinesInsideQuotes() throws {
        var reader = CSVReader(bytes: Array("h\n\"a\nb\"\r\n\r\nc\nd\"e\n".utf8))
        #expect(try reader.next()?.line == 1)
        #expect(try reader.next()?.line == 2)
        #expect(try reader.next()?.line == 5)
        #expect(throws: ImportError.self) { try reader.next() }
        do {
            _ = try reader.next()
        } catch {
            #expect(error.record == "line 6")
        }
    }

    @Test func isoTimestamps() {
        let reference = ImportFixtures.date("2024-05-01T12:34:56Z")
        #expect(ImportDate.parse("2024-05-01T12:34:56Z") == reference)
        #expect(ImportDate.parse("2024-05-01T12:34:56+00:00") == reference)
        #expect(ImportDate.parse("2024-05-01T14:34:56+02:00") == reference)
        #expect(ImportDate.parse("2024-05-01T05:34:56-0700") == reference)
        #expect(ImportDate.parse("2024-05-01 12:34:56") == reference)
        #expect(ImportDate.parse("2024-05-01T12:34:56.250Z") == reference + 0.25)
        #expect(ImportDate.parse("2024-05-01T12:34Z") == reference - 56)
        #expect(ImportDate.parse("2024-05-01") == ImportFixtures.date("2024-05-01T00:00:00Z"))
        #expect(ImportDate.parse("2024-02-29") == ImportFixtures.date("2024-02-29T00:00:00Z"))
        #expect(ImportDate.parse("1969-12-31T23:59:59Z") == Date(timeIntervalSince1970: -1))
        #expect(ImportDate.parse("2000-03-01T00:00:00Z") == ImportFixtures.date("2000-03-01T00:00:00Z"))
    }

    @Test func timestampsAgreeWithFoundationAcrossYears() {
        let formatter = ISO8601DateFormatter()
        for seconds in stride(from: -2_000_000_000, through: 4_000_000_000, by: 7_777_777) {
            let date = Date(timeIntervalSince1970: TimeInterval(seconds))
            #expect(ImportDate.parse(formatter.string(from: date)) == date)
        }
    }

    @Test func invalidTimestamps() {
        for text in ["", "2024", "2024-5-1", "2023-02-29", "2024-13-01", "2024-00-10", "2024-04-31", "2024-05-01T24:00:00Z",
                     "2024-05-01T12:60:00Z", "2024-05-01T12:00:00+25:00", "2024-05-01T12:00:00+02:", "2024-05-01T12:00:00.Z",
                     "2024-05-01T12:00:00Zjunk", "N/A", "2024-05-01X12:00:00", "２０２４-05-01"] {
            #expect(ImportDate.parse(text) == nil, "accepted \(text)")
        }
    }

    @Test func arnAccounts() {
        #expect(AWSARN.account("arn:aws:iam::123456789012:user/alice") == "123456789012")
        #expect(AWSARN.account("arn:aws:iam::123456789012:root") == "123456789012")
        #expect(AWSARN.account("arn:aws-cn:iam::210987654321:role/a:b") == "210987654321")
        for text in ["", "user/bob", "arn:aws:iam::12345678901:user/a", "arn:aws:iam::1234567890123:user/a",
                     "arn:aws:iam::12345678901x:user/a", "arn::iam::123456789012:user/a", "arn:aws:iam::123456789012:",
                     "aws:aws:iam::123456789012:user/a", "arn:aws:iam:123456789012:user/a"] {
            #expect(AWSARN.account(text) == nil, "accepted \(text)")
        }
    }
}
