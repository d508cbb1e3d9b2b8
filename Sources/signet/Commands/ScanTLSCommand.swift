import ArgumentParser
import Foundation
import SignetCore
import SignetDiscovery
import SignetStore
import SwiftASN1
import X509

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension ScanCommand {
    /// `signet scan tls TARGET...`: the certificates TLS endpoints serve, and what is wrong with them.
    struct TLS: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "tls", abstract: "Handshake with TLS endpoints and report the certificate chains they serve.",
            discussion: """
                TARGET is HOST:PORT, [IPv6]:PORT or a range CIDR:PORT (e.g. 10.0.0.0/24:443, at most 65536 addresses). \
                Each endpoint gets one handshake (no data sent) that accepts any certificate; the chain is then judged: \
                expired or not yet valid, expiring within 30 days, self-signed, SHA-1/MD5 signature, RSA < 2048 key, \
                hostname mismatch against the SNI name, and trust path (system roots plus --ca-file). \
                Without --offline each served leaf certificate also goes to the server's inventory (located \
                tls:HOST:PORT; --server/--data-dir/--cert/--key/--ca say how to reach it). \
                Exit status: 0; 1 when a finding at or above --fail-on exists or the results cannot be sent; \
                2 on usage errors.
                """)

        @Argument(parsing: .allUnrecognized, help: "HOST:PORT, [IPv6]:PORT or CIDR:PORT targets.") var targets: [String] = []
        @OptionGroup var client: ClientOptions
        @Flag(help: "Write results locally instead of sending them to the server inventory.") var offline = false
        @Option(help: "SNI name to send (default: the target host when it is a name; none for an IP).") var sni: String?
        @Option(help: "Connect plus handshake limit per endpoint, e.g. 3s, 500ms.") var timeout: String = "3s"
        @Option(help: "Handshakes in flight at once (1-1024).") var concurrency: Int = TLSScanOptions.defaultConcurrency
        @Option(help: "PEM file of extra trusted roots (added to the system roots).") var caFile: String?
        @Option(help: "json or table.") var format: String = "table"
        @Option(help: "Exit 1 when a finding of this severity or higher exists: low, medium, high or critical.")
        var failOn: String?

        func run() async throws {
            let settings: Settings
            do {
                settings = try Settings(self)
            } catch let error as ScanUsageError {
                ScanCommand.Path.printError(error.message)
                throw ExitCode(2)
            }
            let scanner = TLSEndpointScanner(options: settings.options)
            let progress = TLSProgressLine(enabled: isatty(STDERR_FILENO) == 1)
            let report = try await scanner.scan(settings.targets) { progress.show($0) }
            progress.finish()

            if settings.json {
                FileHandle.standardOutput.write(try TLSReportFormat.json(report))
                FileHandle.standardError.write(Data("scan: \(TLSReportFormat.summaryLine(report))\n".utf8))
            } else {
                FileHandle.standardOutput.write(Data(TLSReportFormat.table(report).utf8))  // ends with the summary
            }
            if !offline {
                let items = report.items
                let uploaded: InventoryIngestSummary
                do {
                    uploaded = try await withAdminClient(client) { admin in
                        try await InventoryUploader(client: admin).upload(items, source: "scan-tls")
                    }
                } catch {
                    throw CLIError("\(error); or pass --offline to keep the results on this machine")
                }
                FileHandle.standardError.write(Data(
                    ("uploaded: \(uploaded.received) certificates sent to the inventory: \(uploaded.created) new, "
                        + "\(uploaded.updated) already known\n").utf8))
            }
            if let threshold = settings.failOn,
                report.endpoints.contains(where: { $0.findings.contains { $0.severity >= threshold } })
            {
                throw ExitCode(1)
            }
        }

        /// The validated command line.
        struct Settings {
            let targets: [TLSTarget]
            let options: TLSScanOptions
            let json: Bool
            let failOn: SecretSeverity?

            init(_ command: TLS) throws {
                if let option = command.targets.first(where: { $0.hasPrefix("-") }) {
                    throw ScanUsageError("unknown option \(option) (see `signet scan tls --help`)")
                }
                guard !command.targets.isEmpty else {
                    throw ScanUsageError("give at least one target: HOST:PORT, [IPv6]:PORT or CIDR:PORT")
                }
                do {
                    targets = try TLSTargetParser.parse(command.targets)
                } catch {
                    throw ScanUsageError(error.description)
                }
                guard let timeout = Self.parseDuration(command.timeout), timeout > .zero, timeout <= .seconds(300) else {
                    throw ScanUsageError("--timeout must be a duration between 1ms and 300s, e.g. 3s or 500ms (got \"\(command.timeout)\")")
                }
                guard (1...1024).contains(command.concurrency) else {
                    throw ScanUsageError("--concurrency must be between 1 and 1024 (got \(command.concurrency))")
                }
                if let sni = command.sni, sni.isEmpty || sni.contains(where: { $0 == " " || $0 == "/" || $0 == ":" }) {
                    throw ScanUsageError("--sni must be a DNS name such as www.example.com (got \"\(sni)\")")
                }
                var roots: [Certificate] = []
                if let caFile = command.caFile {
                    guard let data = FileManager.default.contents(atPath: caFile) else {
                        throw ScanUsageError("cannot read --ca-file \(caFile)")
                    }
                    let pem = String(decoding: data, as: UTF8.self)
                    guard let documents = try? PEMDocument.parseMultiple(pemString: pem), !documents.isEmpty,
                        let parsed = try? documents.map({ try Certificate(pemDocument: $0) })
                    else {
                        throw ScanUsageError("--ca-file \(caFile) holds no PEM certificates (expected -----BEGIN CERTIFICATE----- blocks)")
                    }
                    roots = parsed
                }
                switch command.format.lowercased() {
                case "json": json = true
                case "table": json = false
                default: throw ScanUsageError("--format must be json or table (got \"\(command.format)\")")
                }
                if let text = command.failOn {
                    guard let severity = SecretSeverity.allCases.first(where: { $0.description == text.lowercased() }) else {
                        throw ScanUsageError("--fail-on must be low, medium, high or critical (got \"\(text)\")")
                    }
                    failOn = severity
                } else {
                    failOn = nil
                }
                options = TLSScanOptions(
                    serverName: command.sni, timeout: timeout, concurrency: command.concurrency, trustRoots: roots)
            }

            /// `3s`, `500ms`, `1.5s`, `3` (seconds).
            static func parseDuration(_ text: String) -> Duration? {
                let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
                if trimmed.hasSuffix("ms"), let value = Double(trimmed.dropLast(2)), value.isFinite {
                    return .milliseconds(Int64(value.rounded()))
                }
                let number = trimmed.hasSuffix("s") ? String(trimmed.dropLast()) : trimmed
                guard let value = Double(number), value.isFinite, value < 1e6 else { return nil }
                return .milliseconds(Int64((value * 1000).rounded()))
            }
        }
    }
}

/// `done/total, handshakes, findings, rate, ETA` redrawn on a terminal's stderr.
struct TLSProgressLine: Sendable {
    let enabled: Bool

    func show(_ progress: TLSScanProgress) {
        guard enabled else { return }
        let rate = progress.ratePerSecond
        let eta = rate > 0 ? Double(progress.total - progress.completed) / rate : 0
        let line = String(
            format: "\rscanning: %d/%d endpoints, %d handshakes, %d findings, %.1f/s, ETA %.0fs", progress.completed,
            progress.total, progress.handshakes, progress.findings, rate, eta)
        FileHandle.standardError.write(Data(line.utf8))
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}

/// JSON and table renderings of a `scan tls` report.
enum TLSReportFormat {
    struct Document: Encodable {
        var endpoints: [Endpoint]
        var items: [InventoryItem]
        var summary: Summary
    }

    struct Endpoint: Encodable {
        var target: String
        var serverName: String?
        var status: String
        var error: Failure?
        var tlsVersion: String?
        var trusted: Bool?
        var chain: [String]
        var certificate: InventoryItem?
        var findings: [Finding]

        enum CodingKeys: String, CodingKey {
            case target, status, error, trusted, chain, certificate, findings
            case serverName = "server_name"
            case tlsVersion = "tls_version"
        }
    }

    struct Failure: Encodable {
        var code: String
        var message: String
    }

    struct Finding: Encodable {
        var code: String
        var severity: String
        var message: String
        var fix: String
    }

    struct Summary: Encodable {
        var targets: Int
        var handshakes: Int
        var errors: Int
        var findings: Int
        var byCode: [String: Int]
        var durationSeconds: Double

        enum CodingKeys: String, CodingKey {
            case targets, handshakes, errors, findings
            case byCode = "by_code"
            case durationSeconds = "duration_seconds"
        }
    }

    static func json(_ report: TLSScanReport) throws -> Data {
        let endpoints = report.endpoints.map { endpoint in
            Endpoint(
                target: endpoint.target.description, serverName: endpoint.serverName,
                status: endpoint.failure == nil ? "ok" : "error",
                error: endpoint.failure.map { Failure(code: $0.code, message: $0.description) },
                tlsVersion: endpoint.tlsVersion, trusted: endpoint.failure == nil ? endpoint.trusted : nil,
                chain: endpoint.chainSubjects, certificate: endpoint.leaf,
                findings: endpoint.findings.map {
                    Finding(code: $0.code, severity: $0.severity.description, message: $0.message, fix: $0.fix)
                })
        }
        let document = Document(endpoints: endpoints, items: report.items, summary: summary(report))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        var data = try encoder.encode(document)
        data.append(0x0A)
        return data
    }

    static func summary(_ report: TLSScanReport) -> Summary {
        var byCode: [String: Int] = [:]
        for endpoint in report.endpoints {
            for finding in endpoint.findings { byCode[finding.code, default: 0] += 1 }
            if let failure = endpoint.failure { byCode[failure.code, default: 0] += 1 }
        }
        let seconds = Double(report.duration.components.seconds) + Double(report.duration.components.attoseconds) / 1e18
        return Summary(
            targets: report.endpoints.count, handshakes: report.handshakes, errors: report.failures,
            findings: report.findingCount, byCode: byCode, durationSeconds: (seconds * 1000).rounded() / 1000)
    }

    static func summaryLine(_ report: TLSScanReport) -> String {
        let summary = summary(report)
        return "\(summary.targets) endpoints, \(summary.handshakes) handshakes, \(summary.errors) errors, "
            + "\(summary.findings) findings in \(summary.durationSeconds)s"
    }

    static func table(_ report: TLSScanReport) -> String {
        let formatter = ISO8601DateFormatter()
        var out = ""
        for endpoint in report.endpoints {
            if let failure = endpoint.failure {
                out += "\(endpoint.target)  ERROR  \(failure)\n"
                continue
            }
            let leaf = endpoint.leaf?.certificate
            out += "\(endpoint.target)  \(endpoint.tlsVersion ?? "TLS")  \(leaf?.subject ?? "?")  "
                + "expires \(leaf.map { formatter.string(from: $0.notAfter) } ?? "?")  "
                + "\(endpoint.trusted ? "trusted" : "untrusted")\n"
            for finding in endpoint.findings {
                out += "  [\(finding.severity)] \(finding.code): \(finding.message)\n      fix: \(finding.fix)\n"
            }
        }
        return out + summaryLine(report) + "\n"
    }
}
