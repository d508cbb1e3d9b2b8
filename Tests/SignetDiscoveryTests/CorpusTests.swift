import Foundation
import SignetDiscovery
import SignetDiscoveryCorpus
import Testing

/// The acceptance test of issue #5: planted fake secrets for every detector at known positions,
/// plus look-alikes; per-detector hits at the exact file:line, recall >= 95 %, precision >= 90 %.
@Suite("Labelled corpus", .serialized)
struct CorpusTests {
    struct Outcome {
        let corpus: LabelledCorpus
        let report: PathScanReport
        let root: String
        var expected: Set<String> { Set(corpus.secrets.map { "\($0.detectorID)|\($0.path)|\($0.line)" }) }
        var reported: Set<String> {
            Set(report.findings.map { "\($0.detectorID)|\(relative($0.path))|\($0.line)" })
        }
        func relative(_ path: String) -> String { String(path.dropFirst(root.count + 1)) }
    }

    private func run() async throws -> Outcome {
        let corpus = LabelledCorpus.generate()
        let root = try TestSupport.temporaryDirectory()
        try corpus.write(to: root)
        let report = await PathScanner(scanner: TestSupport.scanner).scan([root])
        try? FileManager.default.removeItem(atPath: root)
        return Outcome(corpus: corpus, report: report, root: root)
    }

    @Test("every detector in the catalog has planted secrets in the corpus")
    func coverage() {
        let planted = LabelledCorpus.generate().detectorIDs
        let catalog = Set(SecretCatalog.standard.detectors.map(\.id))
        #expect(catalog.subtracting(planted).isEmpty, "detectors without corpus coverage: \(catalog.subtracting(planted).sorted())")
    }

    @Test("recall >= 95 % and precision >= 90 % at exact detector, file and line")
    func recallAndPrecision() async throws {
        let outcome = try await run()
        let truePositives = outcome.expected.intersection(outcome.reported)
        let recall = Double(truePositives.count) / Double(outcome.expected.count)
        let precision = Double(truePositives.count) / Double(max(1, outcome.reported.count))
        print(String(format: "corpus: %d planted secrets, %d look-alikes, %d findings; recall %.1f%%, precision %.1f%%",
                     outcome.expected.count, outcome.corpus.decoyCount, outcome.reported.count, recall * 100, precision * 100))
        for missed in outcome.expected.subtracting(outcome.reported).sorted() { print("  missed:", missed) }
        for extra in outcome.reported.subtracting(outcome.expected).sorted() { print("  unexpected:", extra) }
        #expect(recall >= 0.95)
        #expect(precision >= 0.90)
    }

    @Test("each detector is hit at each planted file:line")
    func perDetector() async throws {
        let outcome = try await run()
        let reported = outcome.reported
        let byDetector = Dictionary(grouping: outcome.corpus.secrets, by: \.detectorID)
        for (detector, secrets) in byDetector.sorted(by: { $0.key < $1.key }) {
            let hits = secrets.filter { reported.contains("\(detector)|\($0.path)|\($0.line)") }
            #expect(!hits.isEmpty, "\(detector): no planted secret found")
        }
    }

    @Test("no finding contains a secret value, in any field")
    func noLeaks() async throws {
        let outcome = try await run()
        // Every 9-character piece of every string a finding derives from content (preview,
        // fingerprint, description, ids), plus the whole JSON encoding (paths included) for
        // complete values. Paths come from the file system, and share words like "/services"
        // with the planted webhook URLs.
        let window = 9
        var pieces = Set<Substring>()
        for finding in outcome.report.findings {
            for field in [finding.preview, finding.fingerprint, finding.description, finding.detectorID] {
                let chars = Array(field)
                guard chars.count >= window else { continue }
                for start in 0...(chars.count - window) { pieces.insert(Substring(String(chars[start..<(start + window)]))) }
            }
        }
        let json = String(decoding: try JSONEncoder().encode(outcome.report.findings), as: UTF8.self)
        // Static detector text (descriptions mention formats such as `AccountKey=`) cannot leak a value.
        let catalogText = SecretCatalog.standard.detectors.map(\.description).joined(separator: "\n")
        for secret in outcome.corpus.secrets {
            #expect(!json.contains(secret.value))
            let value = Array(secret.value.replacingOccurrences(of: "\\n", with: ""))
            guard value.count >= window else { continue }
            for start in 0...(value.count - window) {
                let piece = String(value[start..<(start + window)])
                if catalogText.contains(piece) { continue }
                if pieces.contains(Substring(piece)) {
                    Issue.record("a finding leaks \"\(piece)\" of the \(secret.detectorID) secret at \(secret.path):\(secret.line)")
                    break
                }
            }
        }
    }
}
