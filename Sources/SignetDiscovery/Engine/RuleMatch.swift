/// A candidate secret produced by a rule, before overlap resolution and redaction.
struct RuleMatch {
    var detector: SecretDetector
    /// Where the finding is reported (line and column are derived from it).
    var start: Int
    /// The secret bytes that are fingerprinted and previewed.
    var secret: Range<Int>
    /// End of the evidence; with `start` it forms the span used for overlap resolution.
    var end: Int
    /// Whether the scan may resume at `end`. Token rules consume their match so a JWT's payload or a
    /// key body is not re-anchored; assignment rules do not, so a more specific token inside the
    /// value (`password = "ghp_…"`) still gets its chance to win.
    var consumes: Bool
    var qualifiers: [SecretQualifier] = []
    /// How the secret bytes are normalised before fingerprinting.
    var normalization: SecretNormalization = .exact

    init(
        _ detector: SecretDetector, start: Int, secret: Range<Int>, end: Int? = nil,
        consumes: Bool = true, qualifiers: [SecretQualifier] = [], normalization: SecretNormalization = .exact
    ) {
        self.detector = detector
        self.start = start
        self.secret = secret
        self.end = max(end ?? secret.upperBound, secret.upperBound)
        self.consumes = consumes
        self.qualifiers = qualifiers
        self.normalization = normalization
    }

    var span: Range<Int> { min(start, secret.lowerBound)..<end }
}

/// Normalisation applied before fingerprinting, so that one credential copied into several files
/// (a PEM file and the same key JSON-escaped inside a service-account file) gets one fingerprint.
enum SecretNormalization {
    case exact
    /// Keep only base64 characters (drops line breaks, indentation and `\n` escapes).
    case base64Body
}

/// A rule that fires at a fixed byte sequence (its anchor).
///
/// The scanner dispatches on the anchor's first two bytes through a 64 Ki-entry table, checks the
/// rest of the anchor, then calls `match`, which validates around the anchor (it may look backwards,
/// for formats whose distinctive part is in the middle, such as Telegram's `:AA`).
struct AnchorRule: Sendable {
    let anchor: [UInt8]
    let match: @Sendable (ScanInput, Int) -> RuleMatch?

    init(_ anchor: String, match: @escaping @Sendable (ScanInput, Int) -> RuleMatch?) {
        self.anchor = Array(anchor.utf8)
        self.match = match
    }

    /// A self-describing token: `prefix` followed by `length` bytes of `body`, not preceded by an
    /// identifier byte and not followed by another body byte. `check` adds format-specific
    /// validation (checksums, fixed separators) on the whole token.
    static func token(
        _ detector: SecretDetector, prefix: String, body: ByteClass, length: ClosedRange<Int>,
        qualifiers: [SecretQualifier] = [],
        check: (@Sendable (UnsafeBufferPointer<UInt8>) -> Bool)? = nil
    ) -> AnchorRule {
        let prefixLength = prefix.utf8.count
        return AnchorRule(prefix) { input, at in
            guard !ByteClass.word.contains(input.byte(at - 1)) else { return nil }
            let bodyStart = at + prefixLength
            let bodyLength = input.run(of: body, from: bodyStart, limit: length.upperBound + 1)
            guard length.contains(bodyLength),
                  !ByteClass.alphanumeric.contains(input.byte(bodyStart + bodyLength)) else { return nil }
            let range = at..<(bodyStart + bodyLength)
            if let check, !check(input.slice(range)) { return nil }
            guard !Placeholder.isDocumentedExample(input.slice(range)) else { return nil }
            return RuleMatch(detector, start: at, secret: range, qualifiers: qualifiers)
        }
    }
}
