import ArgumentParser
import Foundation
import SignetDiscovery

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `signet scan ...`: discovery scanners that find machine credentials (issue #5).
struct ScanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan", abstract: "Find machine credentials: hard-coded secrets and keys in files.",
        subcommands: [Path.self, TLS.self])

    struct Path: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Scan files and directories for hard-coded secrets and private keys.",
            discussion: """
                Walks each DIR (symbolic links are not followed, .git is skipped) and reports every secret a \
                detector recognises at its file:line, with a redacted preview and a keyed fingerprint; secret \
                values are never printed. Binary files and files over --max-file-size are skipped and counted. \
                Exit status: 0; 1 when a finding at or above --fail-on exists; 2 on usage errors. \
                Only --offline is available in this release (results written as JSON, SARIF or a table).
                """)

        /// Collected with `.allUnrecognized` so an unknown option reaches `ScanSettings` and exits 2 (a usage
        /// error, as CI gates expect) rather than ArgumentParser's 64.
        @Argument(parsing: .allUnrecognized, help: "Files or directories to scan.") var paths: [String] = []
        @Flag(help: "Write results locally instead of sending them to the server inventory.") var offline = false
        @Option(help: "json, sarif (2.1.0, for code-scanning tools) or table.") var format: String = "table"
        @Option(help: "Write the results to this file instead of standard output.") var outputFile: String?
        @Option(help: "Skip files larger than this (bytes, or with KB/MB/GB/KiB/MiB/GiB).") var maxFileSize: String = "10MiB"
        @Flag(help: "Also scan files that look binary (a NUL byte in the first 8 KiB).") var includeBinary = false
        @Option(help: "Files read and scanned at once (default: one per core).") var concurrency: String?
        @Option(help: "File holding the fingerprint key (else SIGNET_FINGERPRINT_KEY, else a random per-run key).")
        var fingerprintKeyFile: String?
        @Option(help: "Exit 1 when a finding of this severity or higher exists: low, medium, high or critical.")
        var failOn: String?

        func run() async throws {
            let settings: ScanSettings
            do {
                settings = try ScanSettings(self, environment: ProcessInfo.processInfo.environment)
            } catch let error as ScanUsageError {
                Self.printError(error.message)
                throw ExitCode(2)
            }
            if let note = settings.keyNote { Self.printError(note, prefix: "note") }

            let scanner = PathScanner(scanner: SecretScanner(fingerprinter: settings.fingerprinter), options: settings.options)
            let progressLine = ProgressLine(enabled: isatty(STDERR_FILENO) == 1)
            let report = await scanner.scan(settings.paths) { progressLine.show($0) }
            progressLine.finish()

            let rendered: String
            switch settings.format {
            case .json: rendered = try ScanReportJSON.render(report, roots: settings.paths)
            case .sarif: rendered = try SARIFReport.render(report, roots: settings.paths)
            case .table: rendered = ScanReportTable.render(report)
            }
            if let outputFile {
                do {
                    try Data(rendered.utf8).write(to: URL(fileURLWithPath: outputFile), options: .atomic)
                } catch {
                    Self.printError("cannot write --output-file \(outputFile): \(error.localizedDescription)")
                    throw ExitCode(2)
                }
                Self.printError(ScanReportTable.summaryLine(report) + "; results written to \(outputFile)", prefix: "scan")
            } else {
                FileHandle.standardOutput.write(Data(rendered.utf8))
            }
            for item in report.unreadable {
                Self.printError("could not read \(item.path): \(item.reason)", prefix: "warning")
            }
            if let threshold = settings.failOn, report.findings.contains(where: { $0.severity >= threshold }) {
                throw ExitCode(1)
            }
        }

        static func printError(_ message: String, prefix: String = "error") {
            FileHandle.standardError.write(Data("\(prefix): \(message)\n".utf8))
        }
    }
}

/// A bad command line: printed as `error: ...` with exit status 2.
struct ScanUsageError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

enum ScanOutputFormat: String, CaseIterable {
    case json, sarif, table
}

/// The validated command line of `scan path`.
struct ScanSettings {
    let paths: [String]
    let format: ScanOutputFormat
    let options: PathScanOptions
    let fingerprinter: SecretFingerprinter
    /// Said on stderr when the key is random, so nobody compares fingerprints across runs by mistake.
    let keyNote: String?
    let failOn: SecretSeverity?

    /// Keys shorter than this are refused: the fingerprint's protection is the key's secrecy.
    static let minimumKeyLength = 16

    init(_ command: ScanCommand.Path, environment: [String: String]) throws {
        guard command.offline else {
            throw ScanUsageError(
                "sending scan results to the server inventory is not available yet; "
                    + "pass --offline to write them locally (--format json|sarif|table, --output-file FILE)")
        }
        if let option = command.paths.first(where: { $0.hasPrefix("-") }) {
            throw ScanUsageError("unknown option \(option) (see `signet scan path --help`; write a path starting with - as ./\(option))")
        }
        guard !command.paths.isEmpty else { throw ScanUsageError("give at least one file or directory to scan") }
        for path in command.paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw ScanUsageError("\(path): no such file or directory")
            }
        }
        paths = command.paths
        guard let format = ScanOutputFormat(rawValue: command.format.lowercased()) else {
            throw ScanUsageError("--format must be json, sarif or table (got \"\(command.format)\")")
        }
        self.format = format
        guard let maximumSize = Self.parseSize(command.maxFileSize), maximumSize > 0 else {
            throw ScanUsageError("--max-file-size must be a positive size such as 10MiB, 512KB or 1048576 (got \"\(command.maxFileSize)\")")
        }
        var concurrency = PathScanOptions.defaultConcurrency
        if let text = command.concurrency {
            guard let value = Int(text), (1...1024).contains(value) else {
                throw ScanUsageError("--concurrency must be a number between 1 and 1024 (got \"\(text)\")")
            }
            concurrency = value
        }
        options = PathScanOptions(maximumFileSize: maximumSize, skipBinaryFiles: !command.includeBinary, concurrency: concurrency)
        if let text = command.failOn {
            guard let severity = SecretSeverity.allCases.first(where: { $0.description == text.lowercased() }) else {
                throw ScanUsageError("--fail-on must be low, medium, high or critical (got \"\(text)\")")
            }
            failOn = severity
        } else {
            failOn = nil
        }
        (fingerprinter, keyNote) = try Self.fingerprinter(keyFile: command.fingerprintKeyFile, environment: environment)
    }

    static func fingerprinter(keyFile: String?, environment: [String: String]) throws -> (SecretFingerprinter, String?) {
        if let keyFile {
            guard let data = FileManager.default.contents(atPath: keyFile) else {
                throw ScanUsageError("cannot read --fingerprint-key-file \(keyFile)")
            }
            return (try keyed(trimmed(Array(data)), source: "--fingerprint-key-file \(keyFile)"), nil)
        }
        if let value = environment["SIGNET_FINGERPRINT_KEY"] {
            return (try keyed(trimmed(Array(value.utf8)), source: "SIGNET_FINGERPRINT_KEY"), nil)
        }
        return (.random(), "no --fingerprint-key-file or SIGNET_FINGERPRINT_KEY: fingerprints use a random per-run key "
            + "and are not comparable across runs")
    }

    private static func keyed(_ key: [UInt8], source: String) throws -> SecretFingerprinter {
        guard key.count >= minimumKeyLength else {
            throw ScanUsageError("the fingerprint key from \(source) is shorter than \(minimumKeyLength) bytes; "
                + "generate one with `openssl rand -hex 32`")
        }
        return SecretFingerprinter(key: key)
    }

    /// Key files usually end with a newline (`openssl rand -hex 32 > key`); it is not part of the key.
    private static func trimmed(_ bytes: [UInt8]) -> [UInt8] {
        let whitespace: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0D]
        return Array(bytes.drop(while: { whitespace.contains($0) }).reversed().drop(while: { whitespace.contains($0) }).reversed())
    }

    /// `10MiB`, `512KB`, `1g`, `1048576`: decimal (KB, MB, GB) and binary (KiB, MiB, GiB) units, `B` optional.
    static func parseSize(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let digits = trimmed.prefix(while: \.isNumber)
        guard let number = Int(digits) else { return nil }
        let units: [String: Int] = [
            "": 1, "b": 1, "k": 1_000, "kb": 1_000, "m": 1_000_000, "mb": 1_000_000, "g": 1_000_000_000, "gb": 1_000_000_000,
            "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30,
        ]
        let unit = trimmed.dropFirst(digits.count).trimmingCharacters(in: .whitespaces).lowercased()
        guard let multiplier = units[unit] else { return nil }
        let (value, overflow) = number.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : value
    }
}

/// The `files, MB, MB/s, findings` line redrawn on a terminal's stderr while a scan runs.
struct ProgressLine {
    let enabled: Bool
    init(enabled: Bool) { self.enabled = enabled }

    func show(_ progress: PathScanProgress) {
        guard enabled else { return }
        let line = String(
            format: "\rscanning: %d files, %.1f MB, %.1f MB/s, %d findings", progress.filesScanned,
            Double(progress.bytesScanned) / 1e6, progress.megabytesPerSecond, progress.findings)
        FileHandle.standardError.write(Data(line.utf8))
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
