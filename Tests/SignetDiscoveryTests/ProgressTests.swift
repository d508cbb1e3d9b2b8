import Foundation
import SignetDiscovery
import Testing

@Suite("Scan progress")
struct ProgressTests {
    @Test("the progress callback sees growing totals that end at the report's, and is not required")
    func progressTotals() async throws {
        let root = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        for index in 0..<40 {
            let body = index == 7 ? "AWS_ACCESS_KEY_ID=AKIAQYLPMN5HHHFPZAM2\n" : String(repeating: "plain text line\n", count: 50)
            try body.write(toFile: "\(root)/file\(index).txt", atomically: true, encoding: .utf8)
        }
        var seen: [PathScanProgress] = []
        let scanner = PathScanner(scanner: TestSupport.scanner, options: PathScanOptions(concurrency: 2))
        let report = await scanner.scan([root], progressInterval: .zero) { seen.append($0) }
        #expect(report.filesScanned == 40 && report.findings.count == 1)
        #expect(!seen.isEmpty)
        #expect(zip(seen, seen.dropFirst()).allSatisfy { $0.filesScanned <= $1.filesScanned && $0.bytesScanned <= $1.bytesScanned })
        #expect((seen.last?.filesScanned ?? 0) <= report.filesScanned)
        #expect((seen.last?.findings ?? 0) <= 1)
        let quiet = await scanner.scan([root])
        #expect(quiet.filesScanned == report.filesScanned && quiet.bytesScanned == report.bytesScanned)
    }
}
