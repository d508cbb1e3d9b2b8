/// A pattern that SPIFFE IDs of registration entries must follow, such as
/// `spiffe://example.org/{env}/{team}/{service}`.
///
/// Each `{name}` stands for exactly one path segment; every other segment must
/// match literally. A final `{name...}` matches one or more remaining segments.
/// Naming rules turn "we name things consistently" into something enforced at
/// issuance rather than hoped for in review.
public struct NamingRule: Hashable, Sendable, CustomStringConvertible {
    enum Part: Hashable, Sendable {
        case literal(String)
        case placeholder(String)
        case rest(String)
    }

    public let pattern: String
    let trustDomain: TrustDomain
    let parts: [Part]

    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public let pattern: String
        public let reason: String
        public var description: String { "naming rule '\(pattern)': \(reason)" }
    }

    /// - Parameter defaultTrustDomain: substituted for `{td}` or used when the pattern is a bare path.
    public init(_ pattern: String, defaultTrustDomain: TrustDomain) throws(ParseError) {
        self.pattern = pattern
        var text = pattern.replacingOccurrences(of: "{td}", with: defaultTrustDomain.name)
        if text.hasPrefix("/") { text = "spiffe://\(defaultTrustDomain.name)\(text)" }
        guard text.hasPrefix("spiffe://") else {
            throw ParseError(pattern: pattern, reason: "must start with spiffe:// or /")
        }
        let rest = text.dropFirst("spiffe://".count)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        do {
            trustDomain = try TrustDomain(String(rest[..<slash]))
        } catch {
            throw ParseError(pattern: pattern, reason: error.description)
        }
        var parts: [Part] = []
        let segments = rest[slash...].split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        for (index, segment) in segments.enumerated() {
            if segment.hasPrefix("{"), segment.hasSuffix("}") {
                var name = String(segment.dropFirst().dropLast())
                let isRest = name.hasSuffix("...")
                if isRest { name = String(name.dropLast(3)) }
                guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                    throw ParseError(pattern: pattern, reason: "placeholder '{\(name)}' must be a plain name")
                }
                if isRest {
                    guard index == segments.count - 1 else {
                        throw ParseError(pattern: pattern, reason: "'{\(name)...}' may only be the last segment")
                    }
                    parts.append(.rest(name))
                } else {
                    parts.append(.placeholder(name))
                }
            } else {
                do {
                    try SPIFFEID.validate(segment: segment, in: pattern)
                } catch {
                    throw ParseError(pattern: pattern, reason: error.description)
                }
                parts.append(.literal(String(segment)))
            }
        }
        guard !parts.isEmpty else {
            throw ParseError(pattern: pattern, reason: "must have at least one path segment")
        }
        self.parts = parts
    }

    /// The placeholder bindings when `id` matches, otherwise nil.
    public func match(_ id: SPIFFEID) -> [String: String]? {
        guard id.trustDomain == trustDomain else { return nil }
        let segments = id.segments
        var bindings: [String: String] = [:]
        for (index, part) in parts.enumerated() {
            switch part {
            case .literal(let text):
                guard index < segments.count, segments[index] == text else { return nil }
            case .placeholder(let name):
                guard index < segments.count else { return nil }
                bindings[name] = String(segments[index])
            case .rest(let name):
                guard index < segments.count else { return nil }
                bindings[name] = segments[index...].joined(separator: "/")
                return bindings
            }
        }
        return segments.count == parts.count ? bindings : nil
    }

    public var description: String { pattern }
}
