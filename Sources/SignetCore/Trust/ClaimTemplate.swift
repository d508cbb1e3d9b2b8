/// Maps a token's claims to a SPIFFE ID, e.g.
/// `spiffe://example.org/ci/github/{repository_owner}/{repository#2}`.
///
/// Claim values come from a token an outside party minted, so they are treated as
/// hostile: a substituted value must already be a valid SPIFFE path segment
/// (`A-Z a-z 0-9 . _ -`, not `.` or `..`). A value that would inject `/`, `..`,
/// percent-encoding, spaces or non-ASCII characters is refused with an error that
/// names the claim — never escaped or normalised into something that happens to
/// parse. `{claim#N}` splits a value on `/` (GitHub's `repository` is `owner/name`)
/// and uses part N; every part must be a valid segment, so `acme/../x` is refused
/// even when only part 1 is used.
public struct ClaimTemplate: Sendable, Hashable, CustomStringConvertible {
    /// One piece of a path segment.
    enum Part: Sendable, Hashable {
        case literal(String)
        /// A claim and, for `{claim#N}`, the 1-based part of its `/`-separated value.
        case placeholder(ClaimPath, part: Int?)
    }

    /// Largest N accepted in `{claim#N}`.
    public static let maxPartIndex = 32

    public let template: String
    public let trustDomain: TrustDomain
    /// Path segments, each a sequence of literal text and placeholders.
    let segments: [[Part]]

    public var description: String { template }

    /// Parses a template for `trustDomain`. Refused: another trust domain, no path,
    /// malformed or empty placeholders, invalid literal characters, empty or dot segments,
    /// and paths under the reserved `/signet` prefix.
    public init(_ template: String, trustDomain: TrustDomain) throws(ClaimTemplateError) {
        self.template = template
        self.trustDomain = trustDomain
        let base = "spiffe://\(trustDomain.name)"
        guard template.hasPrefix(base + "/") else {
            if template == base {
                throw ClaimTemplateError("template '\(template)' has no path; add one such as \(base)/ci/{sub}")
            }
            if template.hasPrefix("spiffe://") {
                throw ClaimTemplateError(
                    "template '\(template)' must map into this trust domain: start it with \(base)/")
            }
            throw ClaimTemplateError("template '\(template)' must be a SPIFFE ID such as \(base)/ci/{sub}")
        }
        if template.utf8.count > SPIFFEID.maxLength {
            throw ClaimTemplateError("template is longer than \(SPIFFEID.maxLength) bytes")
        }
        let path = template.dropFirst(base.count + 1)
        var segments: [[Part]] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: false) {
            segments.append(try Self.parseSegment(segment, in: template))
        }
        if case .literal(let first)? = segments.first?.first, segments[0].count == 1,
            "/" + first == GovernancePolicy.reservedPathPrefix
        {
            throw ClaimTemplateError(
                "template '\(template)': paths under \(GovernancePolicy.reservedPathPrefix)/ are reserved for Signet's own identities")
        }
        self.segments = segments
    }

    private static func parseSegment(_ segment: Substring, in template: String) throws(ClaimTemplateError) -> [Part] {
        if segment.isEmpty {
            throw ClaimTemplateError("template '\(template)' has an empty path segment ('//' or a trailing '/')")
        }
        if segment == "." || segment == ".." {
            throw ClaimTemplateError("template '\(template)': path segments '.' and '..' are not allowed")
        }
        var parts: [Part] = []
        var rest = segment
        while !rest.isEmpty {
            if rest.first == "{" {
                guard let close = rest.firstIndex(of: "}") else {
                    throw ClaimTemplateError("template '\(template)': '{' without a closing '}'")
                }
                let inside = rest[rest.index(after: rest.startIndex)..<close]
                parts.append(try parsePlaceholder(inside, in: template))
                rest = rest[rest.index(after: close)...]
            } else {
                let end = rest.firstIndex(where: { $0 == "{" || $0 == "}" }) ?? rest.endIndex
                if end < rest.endIndex, rest[end] == "}" {
                    throw ClaimTemplateError("template '\(template)': '}' without an opening '{'")
                }
                let literal = rest[..<end]
                for scalar in literal.unicodeScalars where !isSegmentScalar(scalar) {
                    throw ClaimTemplateError(
                        "template '\(template)': '\(scalar)' is not allowed in a SPIFFE ID path; use A-Z, a-z, 0-9, '.', '-', '_'")
                }
                parts.append(.literal(String(literal)))
                rest = rest[end...]
            }
        }
        return parts
    }

    private static func parsePlaceholder(_ inside: Substring, in template: String) throws(ClaimTemplateError) -> Part {
        if inside.isEmpty { throw ClaimTemplateError("template '\(template)': empty placeholder '{}'; write {claim}") }
        var name = inside
        var index: Int?
        if let hash = inside.firstIndex(of: "#") {
            name = inside[..<hash]
            let digits = inside[inside.index(after: hash)...]
            guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), digits.first != "0",
                let number = Int(digits), number <= maxPartIndex
            else {
                throw ClaimTemplateError(
                    "template '\(template)': '{\(inside)}' needs a part number from 1 to \(maxPartIndex) after '#', as in {repository#2}")
            }
            index = number
        }
        let path: ClaimPath
        do {
            path = try ClaimPath(String(name))
        } catch {
            throw ClaimTemplateError("template '\(template)': placeholder '{\(inside)}': \(error.message)")
        }
        return .placeholder(path, part: index)
    }

    /// Fast check on bytes: non-empty, not a dot segment, only `A-Z a-z 0-9 . _ -`.
    private static func isCleanSegment(_ bytes: some Collection<UInt8>) -> Bool {
        var count = 0
        var dots = 0
        for byte in bytes {
            count += 1
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
                continue
            case UInt8(ascii: "."): dots += 1
            default: return false
            }
        }
        return count > 0 && !(count <= 2 && dots == count)
    }

    static func isSegmentScalar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", ".", "-", "_": true
        default: false
        }
    }

    /// Every claim the template reads, in order of appearance.
    public var placeholders: [ClaimPath] {
        segments.flatMap { parts in
            parts.compactMap { part -> ClaimPath? in
                if case .placeholder(let path, _) = part { return path }
                return nil
            }
        }
    }

    /// Renders the SPIFFE ID for these claims, or explains which claim value was refused and why.
    public func render(claims: [String: JSONValue]) throws(ClaimTemplateError) -> SPIFFEID {
        var path = ""
        for parts in segments {
            var segment = ""
            for part in parts {
                switch part {
                case .literal(let text): segment += text
                case .placeholder(let claim, let index): segment += try Self.value(of: claim, part: index, in: claims)
                }
            }
            // Concatenated pieces are each valid, but ".{x}" with x = "." would make "..".
            if segment == "." || segment == ".." {
                throw ClaimTemplateError("rendered path segment '\(segment)' is a dot segment; refused")
            }
            path += "/" + segment
        }
        if path == GovernancePolicy.reservedPathPrefix || path.hasPrefix(GovernancePolicy.reservedPathPrefix + "/") {
            throw ClaimTemplateError(
                "rendered ID spiffe://\(trustDomain.name)\(path) is under the reserved \(GovernancePolicy.reservedPathPrefix)/ prefix; refused")
        }
        do {
            return try SPIFFEID(trustDomain: trustDomain, path: path)
        } catch {
            throw ClaimTemplateError("rendered ID is not a valid SPIFFE ID: \(error.description)")
        }
    }

    private static func value(of claim: ClaimPath, part: Int?, in claims: [String: JSONValue]) throws(ClaimTemplateError) -> String {
        // Built only for error messages (this runs on the token endpoint's hot path).
        var label: String { part.map { "{\(claim.dotted)#\($0)}" } ?? "{\(claim.dotted)}" }
        let text: String
        switch claim.resolve(in: claims) {
        case nil, .null?:
            throw ClaimTemplateError("claim '\(claim.dotted)' is missing from the token, so \(label) cannot be filled")
        case .string(let string)?:
            text = string
        case .number(let number)?:
            guard number.isFinite, number == number.rounded(.towardZero), abs(number) < 9_007_199_254_740_992 else {
                throw ClaimTemplateError("claim '\(claim.dotted)' is a non-integer number; \(label) accepts strings and integers")
            }
            text = String(Int64(number))
        case .bool?:
            throw ClaimTemplateError("claim '\(claim.dotted)' is a boolean; \(label) accepts strings and integers")
        case .array?:
            throw ClaimTemplateError("claim '\(claim.dotted)' is a list; \(label) accepts strings and integers")
        case .object?:
            throw ClaimTemplateError("claim '\(claim.dotted)' is an object; \(label) accepts strings and integers")
        }
        guard let part else {
            try checkSegment(text, claim: claim, label: label)
            return text
        }
        let pieces = text.split(separator: "/", omittingEmptySubsequences: false)
        for piece in pieces {
            try checkSegment(piece, claim: claim, label: label, whole: text)
        }
        guard part <= pieces.count else {
            throw ClaimTemplateError(
                "claim '\(claim.dotted)' has \(pieces.count) '/'-separated part(s), so \(label) has nothing to use")
        }
        return String(pieces[part - 1])
    }

    private static func checkSegment(
        _ text: some StringProtocol, claim: ClaimPath, label: @autoclosure () -> String, whole: String? = nil
    ) throws(ClaimTemplateError) {
        if isCleanSegment(text.utf8) { return }
        let problem: String?
        if text.isEmpty {
            problem = "is empty"
        } else if text == "." || text == ".." {
            problem = "is a dot segment"
        } else if let bad = text.unicodeScalars.first(where: { !isSegmentScalar($0) }) {
            problem = bad == "/" ? "contains '/'" : "contains '\(bad.escaped(asASCII: true))'"
        } else {
            problem = nil
        }
        guard let problem else { return }
        var quoted = ""
        JSONValue.writeString(String((whole ?? String(text)).prefix(80)), into: &quoted)
        let subject = whole == nil ? "value" : "part '\(text.prefix(40))' of value"
        throw ClaimTemplateError(
            "claim '\(claim.dotted)' \(subject) \(quoted) \(problem): \(label()) needs a SPIFFE path segment (A-Z, a-z, 0-9, '.', '-', '_'); refused, never escaped")
    }
}
