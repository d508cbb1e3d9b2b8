import Foundation

/// Generates a large tree of realistic, secret-free source and configuration files for throughput
/// benchmarks: Python, JavaScript, Go, YAML, JSON, Markdown, with the identifiers, hashes, UUIDs and
/// `key: value` density of real repositories (every `=` and `:` is work for a keyword scanner).
public enum FillerTree {
    static let words = [
        "order", "invoice", "customer", "payment", "ledger", "account", "session", "request", "response", "handler",
        "client", "server", "config", "cache", "queue", "worker", "event", "metric", "record", "batch", "token",
        "user", "profile", "tenant", "region", "bucket", "object", "stream", "buffer", "parser", "encoder", "retry",
        "timeout", "limit", "offset", "cursor", "filter", "status", "result", "error", "context", "deadline",
    ]

    /// Writes about `megabytes` MB of files under `directory`; returns the bytes written.
    @discardableResult
    public static func write(to directory: String, megabytes: Int, seed: UInt64 = 42) throws -> Int {
        var r = CorpusRandom(seed: seed)
        var written = 0
        var index = 0
        let target = megabytes * 1_000_000
        let manager = FileManager.default
        while written < target {
            let kind = index % 6
            let folder = "\(directory)/pkg\(index / 100)/mod\(index % 100 / 10)"
            try manager.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let size = r.int(8_000...80_000)
            let (name, text) = file(kind, index: index, size: size, &r)
            let bytes = Array(text.utf8)
            try Data(bytes).write(to: URL(fileURLWithPath: "\(folder)/\(name)"))
            written += bytes.count
            index += 1
        }
        return written
    }

    static func ident(_ r: inout CorpusRandom) -> String { r.pick(words) + "_" + r.pick(words) }
    static func camel(_ r: inout CorpusRandom) -> String { r.pick(words) + r.pick(words).capitalized }

    static func file(_ kind: Int, index: Int, size: Int, _ r: inout CorpusRandom) -> (String, String) {
        var lines: [String] = []
        var length = 0
        func add(_ line: String) { lines.append(line); length += line.utf8.count + 1 }
        switch kind {
        case 0:
            add("\"\"\"Module \(index): \(r.pick(words)) processing.\"\"\"")
            add("import logging")
            add("from dataclasses import dataclass")
            while length < size {
                let name = ident(&r)
                add("")
                add("def \(name)(\(ident(&r)), \(ident(&r))=None, timeout=\(r.int(1...120))):")
                add("    \"\"\"Return the \(r.pick(words)) for the given \(r.pick(words)).\"\"\"")
                add("    \(ident(&r)) = {\"\(r.pick(words))\": \(r.int(0...9999)), \"\(r.pick(words))_id\": \"\(r.uuid())\"}")
                add("    if \(ident(&r)) is None or len(\(ident(&r))) > \(r.int(1...64)):")
                add("        raise ValueError(f\"invalid \(r.pick(words)): {\(ident(&r))!r}\")")
                add("    logging.debug(\"%s took %d ms\", \"\(name)\", \(r.int(1...500)))")
                add("    return \(ident(&r))")
            }
            return ("m\(index).py", lines.joined(separator: "\n"))
        case 1:
            add("'use strict';")
            while length < size {
                add("export async function \(camel(&r))(\(camel(&r)), options = {}) {")
                add("  const \(camel(&r)) = await fetch(`/api/v1/\(r.pick(words))s/${\(camel(&r))}`, { method: 'GET' });")
                add("  const { \(camel(&r)), \(camel(&r)) } = options;")
                add("  if (!\(camel(&r)).ok) throw new Error('\(r.pick(words)) failed: ' + \(camel(&r)).status);")
                add("  return { id: '\(r.hex(24))', \(camel(&r)): \(r.int(0...1000)), at: new Date().toISOString() };")
                add("}")
            }
            return ("c\(index).js", lines.joined(separator: "\n"))
        case 2:
            add("package \(r.pick(words))")
            add("")
            add("import (\n\t\"context\"\n\t\"fmt\"\n)")
            while length < size {
                let name = camel(&r).capitalized
                add("")
                add("// \(name) handles the \(r.pick(words)) of a \(r.pick(words)).")
                add("func \(name)(ctx context.Context, \(camel(&r)) string) (int, error) {")
                add("\t\(camel(&r)) := map[string]int{\"\(r.pick(words))\": \(r.int(0...99)), \"\(r.pick(words))\": \(r.int(0...99))}")
                add("\tif err := ctx.Err(); err != nil {\n\t\treturn 0, fmt.Errorf(\"\(r.pick(words)): %w\", err)\n\t}")
                add("\treturn len(\(camel(&r))), nil")
                add("}")
            }
            return ("g\(index).go", lines.joined(separator: "\n"))
        case 3:
            add("# generated \(r.pick(words)) configuration")
            while length < size {
                add("\(ident(&r)):")
                add("  enabled: \(r.chance(0.5))")
                add("  replicas: \(r.int(1...12))")
                add("  image: registry.corp.internal/\(r.pick(words)):\(r.int(1...9)).\(r.int(0...20)).\(r.int(0...9))")
                add("  digest: sha256:\(r.hex(64))")
                add("  endpoint: https://\(r.pick(words)).corp.internal:\(r.int(1024...9999))/\(r.pick(words))")
                add("  labels: { team: \(r.pick(words)), tier: \(r.pick(["web", "batch", "data"])) }")
            }
            return ("values\(index).yaml", lines.joined(separator: "\n"))
        case 4:
            add("[")
            while length < size {
                add("  {\"id\": \"\(r.uuid())\", \"commit\": \"\(r.hex(40))\", \"\(camel(&r))\": \(r.int(0...100000)), "
                    + "\"name\": \"\(r.pick(words)) \(r.pick(words))\", \"created\": \"2024-0\(r.int(1...9))-1\(r.int(0...9))T12:00:00Z\"},")
            }
            add("  {}\n]")
            return ("data\(index).json", lines.joined(separator: "\n"))
        default:
            add("# \(r.pick(words).capitalized) \(r.pick(words))")
            while length < size {
                add("")
                add(Decoys.lorem[r.int(0...3)] + " The `\(ident(&r))` setting controls the \(r.pick(words)) \(r.pick(words)).")
                add("See [\(r.pick(words))](https://docs.corp.internal/\(r.pick(words))/\(r.pick(words))) and run `make \(r.pick(words))`.")
            }
            return ("notes\(index).md", lines.joined(separator: "\n"))
        }
    }
}
