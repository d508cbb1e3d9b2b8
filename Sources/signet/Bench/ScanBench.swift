import ArgumentParser
import Foundation
import SignetDiscovery
import SignetDiscoveryCorpus

extension BenchCommand {
    /// `signet bench scan`: secret-scan throughput and labelled-corpus recall, beside detect-secrets.
    struct Scan: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Secret-scan throughput (MB/s) and corpus recall/precision, beside detect-secrets in the same run.",
            discussion: """
                Generates, in a temporary directory, the labelled corpus (fake secrets for every detector at \
                known file:line positions plus look-alikes) and a tree of realistic source and config files of \
                --size-mb with the corpus inside, then scans it (best of two runs; the first warms the page \
                cache). When detect-secrets (PyPI) is on PATH, in ./.venv/bin, or given with --detect-secrets, \
                it runs `detect-secrets scan -n --all-files` on a --ds-size-mb tree and on the corpus in the same \
                run, and both tools' MB/s, the ratio and recall/precision (by file and line) are printed.
                """)
        @Option(help: "Size of the generated tree signet scans, in MB.") var sizeMB: Int = 200
        @Option(help: "Path of the detect-secrets executable (default: found on PATH or in ./.venv/bin).") var detectSecrets: String?
        @Option(help: "Size of the tree both tools scan for the speed ratio, in MB (detect-secrets is slow).") var dsSizeMB: Int = 50

        func validate() throws {
            guard (1...100_000).contains(sizeMB) else { throw ValidationError("--size-mb must be between 1 and 100000") }
            guard (1...100_000).contains(dsSizeMB) else { throw ValidationError("--ds-size-mb must be between 1 and 100000") }
        }

        func run() async throws {
            let work = FileManager.default.temporaryDirectory.appendingPathComponent("signet-bench-scan-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: work) }
            let baseline = try Self.locateDetectSecrets(detectSecrets)
            let scanner = PathScanner(scanner: SecretScanner(fingerprinter: .random()))

            // 1. Labelled corpus: recall and precision by file and line for both tools.
            let corpus = LabelledCorpus.generate()
            let corpusDirectory = work + "/corpus"
            try corpus.write(to: corpusDirectory)
            let expected = Set(corpus.secrets.map { "\($0.path)|\($0.line)" })
            let ours = await scanner.scan([corpusDirectory])
            let oursHits = Set(ours.findings.map { "\($0.path.dropFirst(corpusDirectory.count + 1))|\($0.line)" })
            print("labelled corpus: \(expected.count) secret locations, \(corpus.decoyCount) look-alikes, \(corpus.files.count) files")
            print("  signet:         " + Self.accuracy(expected: expected, reported: oursHits))
            if let baseline {
                let (_, hits) = try Self.runDetectSecrets(baseline, on: corpusDirectory, work: work)
                print("  detect-secrets: " + Self.accuracy(expected: expected, reported: hits))
            }

            // 2. The large tree: our throughput.
            let bigDirectory = work + "/big"
            let generationStart = Date()
            let written = try FillerTree.write(to: bigDirectory + "/src", megabytes: sizeMB)
            try corpus.write(to: bigDirectory + "/corpus")
            print(String(format: "generated %.0f MB tree in %.1f s", Double(written) / 1e6, Date().timeIntervalSince(generationStart)))
            let big = await Self.best(of: 2, scanner, bigDirectory)
            print("signet scan (\(sizeMB) MB, \(scanner.options.concurrency) readers): \(big.filesScanned) files, "
                + String(format: "%.1f MB in %.2f s = %.1f MB/s", Double(big.bytesScanned) / 1e6, big.elapsedSeconds, big.megabytesPerSecond)
                + ", \(big.findings.count) findings")
            try? FileManager.default.removeItem(atPath: bigDirectory)

            // 3. The same smaller tree for both tools: the speed ratio.
            guard let baseline else {
                print("detect-secrets not found (pip install detect-secrets, or pass --detect-secrets PATH): no baseline ratio")
                return
            }
            let dsDirectory = work + "/ds"
            try FillerTree.write(to: dsDirectory + "/src", megabytes: dsSizeMB, seed: 7)
            try corpus.write(to: dsDirectory + "/corpus")
            let mine = await Self.best(of: 2, scanner, dsDirectory)
            let (dsSeconds, dsHits) = try Self.runDetectSecrets(baseline, on: dsDirectory, work: work)
            let dsRate = Double(mine.bytesScanned) / 1e6 / dsSeconds
            print(String(format: "same %d MB tree: signet %.1f MB/s (%.2f s), detect-secrets %.2f MB/s (%.1f s, %d reported lines); ratio %.0fx",
                         dsSizeMB, mine.megabytesPerSecond, mine.elapsedSeconds, dsRate, dsSeconds, dsHits.count,
                         mine.megabytesPerSecond / dsRate))
        }

        static func best(of runs: Int, _ scanner: PathScanner, _ directory: String) async -> PathScanReport {
            var best: PathScanReport?
            for _ in 0..<runs {
                let report = await scanner.scan([directory])
                if best.map({ report.elapsedSeconds < $0.elapsedSeconds }) ?? true { best = report }
            }
            return best!
        }

        static func accuracy(expected: Set<String>, reported: Set<String>) -> String {
            let truePositives = expected.intersection(reported).count
            return String(format: "recall %.1f%%  precision %.1f%%  (%d reported lines)",
                          100 * Double(truePositives) / Double(max(1, expected.count)),
                          100 * Double(truePositives) / Double(max(1, reported.count)), reported.count)
        }

        /// The given path, else `detect-secrets` on PATH, else ./.venv/bin/detect-secrets; nil when absent.
        static func locateDetectSecrets(_ given: String?) throws -> String? {
            let manager = FileManager.default
            if let given {
                guard manager.isExecutableFile(atPath: given) else {
                    throw CLIError("--detect-secrets \(given) is not an executable file")
                }
                return given
            }
            let searchPath = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
            let candidates = searchPath.map { $0 + "/detect-secrets" } + [manager.currentDirectoryPath + "/.venv/bin/detect-secrets"]
            return candidates.first { manager.isExecutableFile(atPath: $0) }
        }

        /// Runs `detect-secrets scan -n --all-files .` in `directory`; returns the wall time and the set of
        /// `relative/path|line` it reported. Output goes to a file through a shell: detect-secrets'
        /// multiprocessing pool does not always finish when its stdout is a pipe owned by Foundation's Process.
        static func runDetectSecrets(_ executable: String, on directory: String, work: String) throws -> (Double, Set<String>) {
            let outputPath = work + "/detect-secrets-\(UUID().uuidString).json"
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "cd \"$1\" && \"$2\" scan -n --all-files . > \"$3\" 2>/dev/null < /dev/null",
                                 "sh", directory, executable, outputPath]
            let start = Date()
            try process.run()
            process.waitUntilExit()
            let elapsed = Date().timeIntervalSince(start)
            guard process.terminationStatus == 0, let data = FileManager.default.contents(atPath: outputPath),
                  let json = try JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let results = json["results"] as? [String: [[String: Any]]]
            else {
                throw CLIError("detect-secrets at \(executable) failed (exit \(process.terminationStatus)) or printed no JSON results")
            }
            var hits = Set<String>()
            for (file, findings) in results {
                let relative = file.hasPrefix("./") ? String(file.dropFirst(2)) : file
                for finding in findings {
                    if let line = finding["line_number"] as? Int { hits.insert("\(relative)|\(line)") }
                }
            }
            return (elapsed, hits)
        }
    }
}
