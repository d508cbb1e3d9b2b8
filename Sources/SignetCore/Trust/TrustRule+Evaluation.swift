import Foundation

/// The outcome of checking one token's claims against one trust rule: the mapped
/// SPIFFE ID when it matched, otherwise every reason it did not (shown by
/// `signet trust test` and written to the event log).
public struct TrustRuleEvaluation: Sendable, Hashable {
    public let ruleName: String
    public let ruleID: String
    /// Non-nil iff the rule matched.
    public let spiffeID: SPIFFEID?
    /// Why the rule did not match (empty when it matched); human readable.
    public let reasons: [String]

    public var matched: Bool { spiffeID != nil }

    public init(ruleName: String, ruleID: String, spiffeID: SPIFFEID?, reasons: [String]) {
        self.ruleName = ruleName
        self.ruleID = ruleID
        self.spiffeID = spiffeID
        self.reasons = reasons
    }
}

extension TrustRule {
    /// Most audiences one rule may list.
    public static let maxAudiences = 32

    /// Checks claims whose signature, `exp` and `nbf` the caller already verified:
    /// `iss` must equal ``issuer`` byte for byte; `aud` (a string or an array) must share
    /// one value with ``audiences``; the condition must be true; the template must render.
    /// Every failing check is reported, not only the first, so one `trust test` run
    /// explains everything that needs fixing.
    public func evaluate(claims: [String: JSONValue], trustDomain: TrustDomain) -> TrustRuleEvaluation {
        CompiledTrustRule(self, trustDomain: trustDomain).evaluate(claims: claims)
    }

    /// Structural validation; problems found here are always refused (no `--accept-risk`).
    /// Checks: name `^[a-z0-9][a-z0-9-]{0,62}$`; issuer an `https://` URL with a host and no
    /// query, fragment or user info; 1-32 non-empty audiences; owner and purpose present;
    /// maxTTL > 0; a known preset; a pinned JWKS that is a JSON object with a non-empty
    /// `keys` list; the template and condition parse; allowed actors are SPIFFE ID globs.
    public func validate(trustDomain: TrustDomain) throws(TrustRuleValidationError) {
        var problems: [String] = []
        if !Self.isValidName(name) {
            problems.append(
                "name '\(name)' must be 1-63 characters of a-z, 0-9 and '-', starting with a letter or digit")
        }
        if let problem = Self.issuerProblem(issuer) { problems.append(problem) }
        if audiences.isEmpty {
            problems.append("at least one audience is required (the 'aud' your tokens are minted for)")
        } else if audiences.count > Self.maxAudiences {
            problems.append("at most \(Self.maxAudiences) audiences per rule")
        }
        for audience in audiences where audience.trimmingCharacters(in: .whitespaces).isEmpty || audience.utf8.count > 1024 {
            problems.append("audience \(Self.quote(audience)) must be non-empty and at most 1024 bytes")
        }
        if owner.trimmingCharacters(in: .whitespaces).isEmpty {
            problems.append("owner is required (the team accountable for this rule)")
        }
        if purpose.trimmingCharacters(in: .whitespaces).isEmpty {
            problems.append("purpose is required (what tokens mapped by this rule are for)")
        }
        if owner.count > 256 || purpose.count > 1024 {
            problems.append("owner must be at most 256 characters and purpose at most 1024")
        }
        if maxTTL <= 0 { problems.append("max TTL must be positive (seconds)") }
        if let preset, TrustRulePreset(rawValue: preset) == nil {
            let known = TrustRulePreset.allCases.map(\.rawValue).joined(separator: ", ")
            problems.append("unknown preset '\(preset)' (known: \(known))")
        }
        if case .pinned(let jwks) = keySource {
            let keys = (try? JSONValue.parse(Array(jwks.utf8)))?.objectValue?["keys"]?.arrayValue
            if keys?.isEmpty ?? true {
                problems.append("pinned JWKS must be a JSON object with a non-empty \"keys\" list")
            }
        }
        do {
            _ = try ClaimTemplate(subjectTemplate, trustDomain: trustDomain)
        } catch {
            problems.append("subject template: \(error.message)")
        }
        if let condition {
            do {
                _ = try ConditionExpression(condition)
            } catch {
                problems.append("condition: \(error.description)")
            }
        }
        for pattern in allowedActors {
            if let problem = Self.actorPatternProblem(pattern) { problems.append(problem) }
        }
        if !problems.isEmpty { throw TrustRuleValidationError(problems: problems) }
    }

    /// True when `actor` matches one of ``allowedActors``. Patterns are globs over the whole
    /// ID: `*` matches any run of characters including `/`, `?` exactly one character.
    public func allowsActor(_ actor: SPIFFEID) -> Bool {
        let text = actor.description
        return allowedActors.contains { GlobPattern($0).matches(text) }
    }

    // MARK: Helpers

    static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...63).contains(bytes.count) else { return false }
        for (index, byte) in bytes.enumerated() {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): continue
            case UInt8(ascii: "-") where index > 0: continue
            default: return false
            }
        }
        return true
    }

    static func issuerProblem(_ issuer: String) -> String? {
        let shown = Self.quote(issuer)
        guard issuer.hasPrefix("https://") else {
            return "issuer \(shown) must be an https:// URL (it is compared byte for byte with the token's iss)"
        }
        guard issuer.utf8.count <= 2048, issuer.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            return "issuer \(shown) must be at most 2048 printable ASCII characters without spaces"
        }
        if issuer.contains("?") || issuer.contains("#") {
            return "issuer \(shown) must not have a query or fragment"
        }
        guard let url = URLComponents(string: issuer), url.scheme == "https", let host = url.host, !host.isEmpty
        else {
            return "issuer \(shown) is not a valid https:// URL with a host"
        }
        if url.user != nil || url.password != nil {
            return "issuer \(shown) must not contain user info"
        }
        return nil
    }

    /// `spiffe://trust-domain/path` where the path may use `*` and `?`; the trust domain is literal.
    static func actorPatternProblem(_ pattern: String) -> String? {
        let shown = Self.quote(pattern)
        guard pattern.hasPrefix("spiffe://") else {
            return "allowed actor \(shown) must be a SPIFFE ID pattern such as spiffe://example.org/agents/*"
        }
        let rest = pattern.dropFirst("spiffe://".count)
        guard let slash = rest.firstIndex(of: "/") else {
            return "allowed actor \(shown) needs a path (spiffe://example.org/agents/*)"
        }
        do {
            _ = try TrustDomain(String(rest[..<slash]))
        } catch {
            return "allowed actor \(shown): \(error.description)"
        }
        let path = rest[slash...].dropFirst()
        if pattern.utf8.count > SPIFFEID.maxLength { return "allowed actor \(shown) is longer than 2048 bytes" }
        for segment in path.split(separator: "/", omittingEmptySubsequences: false) {
            if segment.isEmpty { return "allowed actor \(shown) has an empty path segment" }
            if segment == "." || segment == ".." { return "allowed actor \(shown) has a dot segment" }
            if let bad = segment.unicodeScalars.first(where: { $0 != "*" && $0 != "?" && !ClaimTemplate.isSegmentScalar($0) }) {
                return "allowed actor \(shown) contains '\(bad.escaped(asASCII: true))'; use A-Z, a-z, 0-9, '.', '-', '_', '*' and '?'"
            }
        }
        return nil
    }

    static func quote(_ text: String) -> String {
        var out = ""
        JSONValue.writeString(String(text.prefix(200)), into: &out)
        return out
    }

    static func list(_ values: [String]) -> String {
        "[" + values.map { quote($0) }.joined(separator: ", ") + "]"
    }
}
