import Foundation

/// One planted fake secret: which detector must report it, and where.
public struct LabelledSecret: Sendable, Hashable {
    public let detectorID: String
    /// Path relative to the corpus root.
    public let path: String
    /// 1-based line the finding must be reported on.
    public let line: Int
    /// The fake value (tests check it never leaks into findings).
    public let value: String
}

public struct CorpusFile: Sendable {
    public let path: String
    public let contents: String
}

/// A deterministic labelled corpus: realistic files with fake secrets at known file:line
/// positions, interleaved with look-alikes that must not match.
public struct LabelledCorpus: Sendable {
    public let files: [CorpusFile]
    public let secrets: [LabelledSecret]
    /// Number of planted look-alikes (lines or files that must produce no finding).
    public let decoyCount: Int

    public static let defaultSeed: UInt64 = 0x5349_474E_4554  // "SIGNET"

    /// Builds the corpus. Each single-line spec is planted `copies` times in different file flavors.
    public static func generate(seed: UInt64 = defaultSeed, copies: Int = 3) -> LabelledCorpus {
        var r = CorpusRandom(seed: seed)
        var builders: [String: FileBuilder] = [:]
        var order: [String] = []
        var decoys = 0
        let services = ["orders", "billing", "search", "ledger"]
        let flavors = CorpusFlavor.allCases

        func builder(_ flavor: CorpusFlavor, _ service: String) -> String {
            let path = flavor.path(service)
            if builders[path] == nil {
                var file = FileBuilder(path: path, flavor: flavor)
                file.append(flavor.header(service))
                builders[path] = file
                order.append(path)
            }
            return path
        }

        var placement = 0
        for (specIndex, spec) in FakeSecrets.specs.enumerated() {
            for copy in 0..<copies {
                let flavor = flavors[(specIndex + copy * 4) % flavors.count]
                let service = services[placement % services.count]
                placement += 1
                let path = builder(flavor, service)
                for _ in 0..<r.int(0...3) { builders[path]!.append(flavor.filler(&r)) }
                let value = spec.make(&r)
                let (lines, valueLine) = flavor.assign(spec.name, value)
                builders[path]!.plant(spec.detectorID, value: value, lines: lines, valueLine: valueLine)
                if r.chance(0.6) {
                    let (name, decoy) = r.pick(Decoys.assignments(&r))
                    builders[path]!.append(flavor.assign(name, decoy).lines)
                    decoys += 1
                }
            }
        }
        // Every decoy assignment at least once in every flavor, and the code-only decoys.
        for flavor in flavors {
            let path = builder(flavor, "shared")
            for (name, decoy) in Decoys.assignments(&r) {
                builders[path]!.append(flavor.filler(&r))
                builders[path]!.append(flavor.assign(name, decoy).lines)
                decoys += 1
            }
            for line in Decoys.codeLines(flavor) {
                builders[path]!.append([line])
                decoys += 1
            }
        }

        var files = order.map { path -> FileBuilder in
            var file = builders[path]!
            file.append(file.flavor.footer())
            return file
        }
        files += MultiLineSecrets.files(&r)
        let decoyFiles = Decoys.files(&r)
        decoys += decoyFiles.count
        return LabelledCorpus(
            files: files.map { CorpusFile(path: $0.path, contents: $0.text) }
                + decoyFiles.map { CorpusFile(path: $0.0, contents: $0.1.joined(separator: "\n") + "\n") },
            secrets: files.flatMap(\.secrets),
            decoyCount: decoys)
    }

    /// Writes the files under `directory` (created if needed).
    public func write(to directory: String) throws {
        let manager = FileManager.default
        for file in files {
            let url = URL(fileURLWithPath: directory).appendingPathComponent(file.path)
            try manager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(file.contents.utf8).write(to: url)
        }
    }

    public var detectorIDs: Set<String> { Set(secrets.map(\.detectorID)) }
}

/// Accumulates the lines of one generated file and the secrets planted in it.
struct FileBuilder {
    let path: String
    let flavor: CorpusFlavor
    private(set) var lines: [String] = []
    private(set) var secrets: [LabelledSecret] = []

    init(path: String, flavor: CorpusFlavor = .dotenv) {
        self.path = path
        self.flavor = flavor
    }

    mutating func append(_ more: [String]) { lines += more }

    /// Appends `lines`; the secret is expected on `lines[valueLine]`.
    mutating func plant(_ detectorID: String, value: String, lines more: [String], valueLine: Int) {
        secrets.append(LabelledSecret(detectorID: detectorID, path: path, line: lines.count + valueLine + 1, value: value))
        lines += more
    }

    var text: String { lines.joined(separator: "\n") + "\n" }
}
