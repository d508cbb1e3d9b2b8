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
                values are never printed. Binary files and files over --max-file-size are skipped and counted.

                With --git, scans instead the whole history of DIR's git repository (every branch, tag and stash; \
                needs git on PATH): each distinct file version (blob) is read once, however many commits hold it, \
                and reported at the commit and path that introduced it, so a secret deleted long ago is still \
                found. Files in the working tree that were never committed are not history and are not scanned \
                (scan them without --git).

                On a terminal, stderr shows a progress bar (percent, MB/s, ETA). Every run ends with one line on \
                stderr, `summary: {json}`, with roots, files_scanned, bytes_scanned, files_skipped_binary, \
                files_skipped_too_large, unreadable, findings, findings_by_severity, credentials, seconds and \
                mb_per_second (plus repository, blobs_scanned and commits with --git); --format json carries the \
                same object as "summary".

                Exit status: 0; 1 when a finding at or above --fail-on exists; 2 on usage errors and when --git \
                cannot read the repository; 1 also when the results cannot be sent to the server.

                Without --offline the results also go to the server's inventory (one item per credential,
                every place it was seen as a location; secrets only as redacted previews and fingerprints under
                the server's key); --server/--data-dir/--cert/--key/--ca say how to reach it. With --offline
                nothing leaves this machine.
                """)

        /// Collected with `.allUnrecognized` so an unknown option reaches `ScanSettings` and exits 2 (a usage
        /// error, as CI gates expect) rather than ArgumentParser's 64.
        @Argument(parsing: .allUnrecognized, help: "Files or directories to scan.") var paths: [String] = []
        @OptionGroup var client: ClientOptions
        @Flag(help: "Write results locally instead of sending them to the server inventory.") var offline = false
        @Option(help: "json, sarif (2.1.0, for code-scanning tools) or table.") var format: String = "table"
        @Option(help: "Write the results to this file instead of standard output.") var outputFile: String?
        @Option(help: "Skip files larger than this (bytes, or with KB/MB/GB/KiB/MiB/GiB).") var maxFileSize: String = "10MiB"
        @Flag(help: "Also scan files that look binary (a NUL byte in the first 8 KiB).") var includeBinary = false
        @Flag(help: "Scan the history of DIR's git repository (each blob once, at the commit that introduced it) instead of its files; uncommitted files are not history.")
        var git = false
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
            // Uploads fingerprint secrets with the deployment's key, fetched before anything is read,
            // so the same secret found by any scanner is one inventory item.
            let admin: AdminClient?
            do {
                admin = settings.offline ? nil : try AdminClient(options: client)
            } catch {
                throw CLIError("\(error); or pass --offline to keep the results on this machine")
            }
            do {
                try await scanAndReport(settings, admin: admin)
                await admin?.shutdown()
            } catch {
                await admin?.shutdown()
                throw error
            }
        }

        private func scanAndReport(_ settings: ScanSettings, admin: AdminClient?) async throws {
            var fingerprinter = settings.fingerprinter
            if let admin {
                fingerprinter = try await InventoryUploader(client: admin).fingerprinter()
            } else if let note = settings.keyNote {
                Self.printError(note, prefix: "note")
            }
            let secretScanner = SecretScanner(fingerprinter: fingerprinter)
            let progressLine = ProgressLine(enabled: isatty(STDERR_FILENO) == 1)
            let progress: ((PathScanProgress) -> Void)? = progressLine.enabled ? { progressLine.show($0) } : nil
            let report: PathScanReport
            if settings.git {
                do {
                    report = try await GitHistoryScanner(scanner: secretScanner, options: settings.options)
                        .scan(repositoryAt: settings.paths[0], progressInterval: ProgressLine.interval, progress: progress)
                } catch let error as GitHistoryError {
                    progressLine.finish()
                    Self.printError(error.description)
                    throw ExitCode(2)
                }
            } else {
                report = await PathScanner(scanner: secretScanner, options: settings.options)
                    .scan(settings.paths, progressInterval: ProgressLine.interval, progress: progress)
            }
            progressLine.finish()

            let rendered: String
            switch settings.format {
            case .json: rendered = try ScanReportJSON.render(report, roots: settings.paths)
            case .sarif: rendered = try SARIFReport.render(report, roots: report.git.map { [$0.root] } ?? settings.paths)
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
            if let admin {
                let items = report.inventoryItems(now: Date())
                let uploaded = try await InventoryUploader(client: admin).upload(
                    items, source: settings.git ? "scan-git" : "scan-path")
                Self.printError(
                    "\(uploaded.received) items sent to the inventory: \(uploaded.created) new, \(uploaded.updated) "
                        + "already known, \(uploaded.ownersAssigned) owners set by ownership rules", prefix: "uploaded")
            }
            FileHandle.standardError.write(Data((PathScanSummary(report, roots: settings.paths).line + "\n").utf8))
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
    /// Write results locally only; otherwise they also go to the server inventory.
    let offline: Bool
    let format: ScanOutputFormat
    let options: PathScanOptions
    let fingerprinter: SecretFingerprinter
    /// Said on stderr when the key is random, so nobody compares fingerprints across runs by mistake.
    let keyNote: String?
    let failOn: SecretSeverity?
    /// `--git`: scan the history of the one DIR's repository instead of its files.
    let git: Bool

    /// Keys shorter than this are refused: the fingerprint's protection is the key's secrecy.
    static let minimumKeyLength = 16

    init(_ command: ScanCommand.Path, environment: [String: String]) throws {
        offline = command.offline
        if !offline, command.fingerprintKeyFile != nil {
            throw ScanUsageError(
                "--fingerprint-key-file is for --offline scans: results sent to the server are fingerprinted with "
                    + "the server's key, so that they line up with every other scanner's")
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
        git = command.git
        if git, paths.count != 1 {
            throw ScanUsageError("--git scans one repository's history: give exactly one DIR (got \(paths.count) paths)")
        }
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

/// The progress bar redrawn on a terminal's stderr while a scan runs (percent, MB/s, ETA, findings;
/// drawn by `ScanProgressBar`), erased when the scan ends.
struct ProgressLine {
    /// At most about ten redraws a second: smooth enough to read, cheap enough not to slow the scan.
    static let interval: Duration = .milliseconds(100)

    let enabled: Bool
    init(enabled: Bool) { self.enabled = enabled }

    func show(_ progress: PathScanProgress) {
        guard enabled else { return }
        let line = ScanProgressBar.render(
            done: progress.bytesDone, total: progress.bytesTotal, elapsed: progress.elapsedSeconds,
            width: Self.columns(), findings: progress.findings)
        FileHandle.standardError.write(Data(("\r" + line + "\u{1B}[K").utf8))
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }

    /// The terminal's width (it may change while a scan runs), else $COLUMNS, else 80.
    static func columns() -> Int {
        var size = winsize()
        if ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return ProcessInfo.processInfo.environment["COLUMNS"].flatMap { Int($0) } ?? 80
    }
}
