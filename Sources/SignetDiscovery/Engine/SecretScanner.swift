/// Scans bytes for hard-coded secrets.
///
/// One pass over the buffer finds anchor candidates through `DispatchTable`; hand-written
/// validators then check length, alphabet, checksum or context. Line and column are computed only
/// for hits. Overlapping candidates are resolved in favour of the more specific detector, and
/// each surviving candidate becomes a `SecretFinding` with a redacted preview and a keyed
/// fingerprint: the secret itself never leaves this type.
public struct SecretScanner: Sendable {
    public let catalog: SecretCatalog
    private let fingerprinter: SecretFingerprinter
    private let dispatch: DispatchTable

    public init(catalog: SecretCatalog = .standard, fingerprinter: SecretFingerprinter) {
        self.catalog = catalog
        self.fingerprinter = fingerprinter
        self.dispatch = DispatchTable(rules: catalog.compiledRules)
    }

    public func scan(_ bytes: [UInt8], path: String) -> [SecretFinding] {
        bytes.withUnsafeBufferPointer { scan($0, path: path) }
    }

    public func scan(_ bytes: UnsafeBufferPointer<UInt8>, path: String) -> [SecretFinding] {
        let input = ScanInput(bytes: bytes, fileKind: FileKind(path: path))
        let matches = Self.resolveOverlaps(candidates(in: input))
        guard !matches.isEmpty else { return [] }
        var lines = LineLocator(bytes: bytes)
        return matches.map { match in
            let (line, column) = lines.position(of: match.start)
            var qualifiers = match.qualifiers
            qualifiers.sort { $0.rawValue < $1.rawValue }
            let severity = qualifiers.contains(.encrypted)
                ? SecretSeverity(rawValue: max(1, match.detector.severity.rawValue - 2)) ?? .low
                : match.detector.severity
            let secret = normalized(input.slice(match.secret), match.normalization)
            return SecretFinding(
                detectorID: match.detector.id, kind: match.detector.kind, severity: severity, path: path,
                line: line, column: column, preview: SecretPreview.redact(secret),
                fingerprint: fingerprinter.fingerprint(secret), qualifiers: qualifiers,
                description: match.detector.description)
        }
    }

    /// The hot loop: one 16-bit load and one table lookup per byte position.
    private func candidates(in input: ScanInput) -> [RuleMatch] {
        let bytes = input.bytes
        guard bytes.count >= 2, let base = UnsafeRawPointer(bytes.baseAddress) else { return [] }
        var found: [RuleMatch] = []
        dispatch.table.withUnsafeBufferPointer { table in
        dispatch.rules.withUnsafeBufferPointer { rules in
        dispatch.members.withUnsafeBufferPointer { members in
        dispatch.groupBounds.withUnsafeBufferPointer { bounds in
            var index = 0
            let last = bytes.count - 1
            while index < last {
                let pair = base.loadUnaligned(fromByteOffset: index, as: UInt16.self).littleEndian
                let group = Int(table[Int(pair)])
                if group == 0 {
                    index &+= 1
                    continue
                }
                var next = index + 1
                for member in Int(bounds[group])..<Int(bounds[group + 1]) {
                    let rule = rules[Int(members[member])]
                    guard rule.anchor.count <= 2 || input.matches(rule.anchor, at: index) else { continue }
                    if let match = rule.match(input, index) {
                        found.append(match)
                        if match.consumes { next = max(next, match.end) }
                        break
                    }
                }
                index = next
            }
        }
        }
        }
        }
        return found
    }

    /// Keeps, among overlapping candidates, the most specific (then the longest, then the first).
    static func resolveOverlaps(_ candidates: [RuleMatch]) -> [RuleMatch] {
        guard candidates.count > 1 else { return candidates }
        let sorted = candidates.sorted { $0.span.lowerBound < $1.span.lowerBound }
        var kept: [RuleMatch] = []
        for candidate in sorted {
            var wins = true
            while let previous = kept.last, previous.span.overlaps(candidate.span) {
                if outranks(previous, candidate) {
                    wins = false
                    break
                }
                kept.removeLast()
            }
            if wins { kept.append(candidate) }
        }
        return kept
    }

    private static func outranks(_ lhs: RuleMatch, _ rhs: RuleMatch) -> Bool {
        if lhs.detector.specificity != rhs.detector.specificity {
            return lhs.detector.specificity > rhs.detector.specificity
        }
        return lhs.span.count >= rhs.span.count
    }

    private func normalized(_ secret: UnsafeBufferPointer<UInt8>, _ normalization: SecretNormalization) -> [UInt8] {
        switch normalization {
        case .exact:
            return Array(secret)
        case .base64Body:
            var out = [UInt8]()
            out.reserveCapacity(secret.count)
            var index = 0
            while index < secret.count {
                let byte = secret[index]
                if byte == UInt8(ascii: "\\") { index += 2; continue }  // JSON `\n` escapes
                if ByteClass.base64.contains(byte) || byte == UInt8(ascii: "=") { out.append(byte) }
                index += 1
            }
            return out
        }
    }
}

/// Converts byte offsets to 1-based line and column, moving forward only (hits arrive sorted).
struct LineLocator {
    let bytes: UnsafeBufferPointer<UInt8>
    private var offset = 0
    private var line = 1
    private var lineStart = 0

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    mutating func position(of target: Int) -> (line: Int, column: Int) {
        if target < offset {  // out of order: restart
            offset = 0; line = 1; lineStart = 0
        }
        while offset < target {
            if bytes[offset] == UInt8(ascii: "\n") {
                line += 1
                lineStart = offset + 1
            }
            offset += 1
        }
        return (line, target - lineStart + 1)
    }
}
