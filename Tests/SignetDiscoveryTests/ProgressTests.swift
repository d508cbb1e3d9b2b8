import Foundation
import Testing

@testable import SignetDiscovery

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
        // The pre-count gives every report the total, which the scan reaches and never passes.
        #expect(seen.allSatisfy { $0.bytesTotal == report.bytesScanned && $0.bytesDone <= report.bytesScanned })
        let quiet = await scanner.scan([root])
        #expect(quiet.filesScanned == report.filesScanned && quiet.bytesScanned == report.bytesScanned)
    }

    @Test("binary files count toward progress (they are read), files over the limit toward neither side")
    func progressCountsBinaryNotTooLarge() async throws {
        let root = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Data([0x7F, 0x45, 0x4C, 0x46, 0, 0, 1, 2]).write(to: URL(fileURLWithPath: "\(root)/tool"))
        try String(repeating: "x", count: 5000).write(toFile: "\(root)/big.txt", atomically: true, encoding: .utf8)
        try "LOG_LEVEL=info\n".write(toFile: "\(root)/app.env", atomically: true, encoding: .utf8)
        var seen: [PathScanProgress] = []
        let scanner = PathScanner(scanner: TestSupport.scanner, options: PathScanOptions(maximumFileSize: 1000, concurrency: 1))
        let report = await scanner.scan([root], progressInterval: .zero) { seen.append($0) }
        #expect(report.filesSkippedBinary == 1 && report.filesSkippedTooLarge == 1 && report.filesScanned == 1)
        #expect(seen.last?.bytesTotal == 8 + 15)
        #expect(seen.last?.bytesDone == 8 + 15)
    }
}

/// `ScanProgressBar.render`: the terminal line, as a pure function.
@Suite("Scan progress bar")
struct ProgressBarTests {
    @Test("halfway: half the cells, the percentage, sizes, rate and ETA, within the width")
    func halfway() {
        let line = ScanProgressBar.render(done: 50_000_000, total: 100_000_000, elapsed: 5, width: 100, findings: 3)
        #expect(line.count == 99)
        #expect(line.hasSuffix("] " + " 50%  50.0/100.0 MB  10.0 MB/s  ETA 0:05  3 findings"))
        let cells = line.dropFirst().prefix(while: { $0 != "]" })
        #expect(cells.filter { $0 == "#" }.count == cells.count / 2)
        #expect(cells.allSatisfy { $0 == "#" || $0 == "." })
    }

    @Test("start, finish and overshoot")
    func ends() {
        let start = ScanProgressBar.render(done: 0, total: 2_000_000, elapsed: 0, width: 80)
        #expect(start.contains("  0%") && start.contains("ETA --:--") && start.contains("0.0 MB/s"))
        #expect(!start.contains("#"))
        let done = ScanProgressBar.render(done: 2_000_000, total: 2_000_000, elapsed: 1, width: 80)
        #expect(done.contains("100%") && done.contains("ETA 0:00") && !done.contains("."  + "]"))
        let over = ScanProgressBar.render(done: 3_000_000, total: 2_000_000, elapsed: 1, width: 80)
        #expect(over.contains("100%") && over.count <= 79)
        let nothingToDo = ScanProgressBar.render(done: 0, total: 0, elapsed: 0, width: 80)
        #expect(nothingToDo.contains("100%"))
    }

    @Test("without a total: sizes and rate only")
    func noTotal() {
        let line = ScanProgressBar.render(done: 12_345_678, total: nil, elapsed: 2, width: 80)
        #expect(line == "12.3 MB  6.2 MB/s")
    }

    @Test("narrow terminals drop the bar, then truncate; nothing is ever wider than width - 1")
    func narrow() {
        for width in [0, 1, 5, 20, 40, 41, 60] {
            let line = ScanProgressBar.render(done: 1, total: 3, elapsed: 1, width: width, findings: 12)
            #expect(line.count <= max(0, width - 1), "width \(width): \(line)")
        }
        #expect(!ScanProgressBar.render(done: 1, total: 3, elapsed: 1, width: 30).contains("["))
    }

    @Test("ETA formats: minutes, hours, beyond 99 hours, unknown")
    func eta() {
        #expect(ScanProgressBar.eta(remaining: 90, rate: 1) == "1:30")
        #expect(ScanProgressBar.eta(remaining: 3 * 3600 + 62, rate: 1) == "3:01:02")
        #expect(ScanProgressBar.eta(remaining: 1_000_000_000, rate: 1) == ">99h")
        #expect(ScanProgressBar.eta(remaining: 10, rate: 0) == "--:--")
    }

    @Test("hostile numbers do not crash: negative, NaN, infinite, huge")
    func hostile() {
        _ = ScanProgressBar.render(done: -5, total: -10, elapsed: -.infinity, width: -3)
        _ = ScanProgressBar.render(done: Int.max, total: Int.max, elapsed: .nan, width: 200)
        let line = ScanProgressBar.render(done: Int.max / 2, total: Int.max, elapsed: 1e-300, width: 120)
        #expect(line.count <= 119)
        #expect(ScanProgressBar.render(done: 20_000_000_000, total: 40_000_000_000, elapsed: 10, width: 200).contains("20.0/40.0 GB"))
    }
}
