import Testing
@testable import SignetCore

/// Claim values come from tokens other parties mint; the template must refuse every
/// value that is not already a clean path segment, and never escape it into one.
struct ClaimTemplateTests {
    let td = try! TrustDomain("example.org")
    let github = "spiffe://example.org/ci/github/{repository_owner}/{repository#2}"

    func claims(_ extra: [String: JSONValue] = [:]) -> [String: JSONValue] {
        ["repository_owner": .string("acme"), "repository": .string("acme/api")].merging(extra) { $1 }
    }

    func renderError(_ template: String, _ claims: [String: JSONValue]) throws -> ClaimTemplateError? {
        let parsed = try ClaimTemplate(template, trustDomain: td)
        do {
            _ = try parsed.render(claims: claims)
            return nil
        } catch {
            return error
        }
    }

    @Test func rendersGitHubShape() throws {
        let template = try ClaimTemplate(github, trustDomain: td)
        #expect(try template.render(claims: claims()) == SPIFFEID("spiffe://example.org/ci/github/acme/api"))
        #expect(template.placeholders.map(\.dotted) == ["repository_owner", "repository"])
        #expect(template.description == github)
    }

    @Test func rendersKubernetesShape() throws {
        let template = try ClaimTemplate(
            "spiffe://example.org/k8s/ns/{kubernetes.io.namespace}/sa/{kubernetes.io.serviceaccount.name}",
            trustDomain: td)
        let k8s: [String: JSONValue] = [
            "sub": .string("system:serviceaccount:payments:api"),
            "kubernetes.io": .object([
                "namespace": .string("payments"),
                "serviceaccount": .object(["name": .string("api"), "uid": .string("u-1")]),
                "pod": .object(["name": .string("api-1")]),
            ]),
        ]
        #expect(try template.render(claims: k8s).description == "spiffe://example.org/k8s/ns/payments/sa/api")
        #expect(template.placeholders.map(\.dotted) == ["kubernetes.io.namespace", "kubernetes.io.serviceaccount.name"])
    }

    @Test func partialSegmentsAndNumbers() throws {
        let template = try ClaimTemplate("spiffe://example.org/run-{run_id}/{a}.{b}_x", trustDomain: td)
        let id = try template.render(claims: ["run_id": .number(123_456_789_012), "a": .string("A"), "b": .string("-9")])
        #expect(id.path == "/run-123456789012/A.-9_x")
        // A constant template (no placeholders) maps every token to one ID.
        let constant = try ClaimTemplate("spiffe://example.org/ci/deployer", trustDomain: td)
        #expect(constant.placeholders.isEmpty)
        #expect(try constant.render(claims: [:]).path == "/ci/deployer")
    }

    @Test func partIndex() throws {
        let first = "spiffe://example.org/x/{repository#1}"
        #expect(try ClaimTemplate(first, trustDomain: td).render(claims: claims()).path == "/x/acme")
        let error = try #require(try renderError("spiffe://example.org/x/{repository#3}", claims()))
        #expect(error.message.contains("has 2 '/'-separated part(s)"))
        // #1 of a value without "/" is the whole value.
        #expect(try ClaimTemplate(first, trustDomain: td).render(claims: claims(["repository": .string("solo")])).path
            == "/x/solo")
    }

    // MARK: Injection attempts (all refused, never escaped)

    @Test(arguments: [
        ("acme/../../x", "contains '/'"),
        ("..", "is a dot segment"),
        (".", "is a dot segment"),
        ("a/b", "contains '/'"),
        ("%2e%2e", "contains '%'"),
        ("%2Fetc", "contains '%'"),
        ("my repo", "contains ' '"),
        ("\u{430}cme", "contains '\\u{0430}'"),  // Cyrillic а
        ("acme\u{301}", "contains '\\u{0301}'"),  // combining accent
        ("ｃａｔ", "contains '\\u{FF43}'"),  // full-width
        ("", "is empty"),
        ("a\nb", "contains '\\n'"),
        ("a\u{0}b", "contains '\\0'"),
        ("a?b", "contains '?'"),
        ("a#b", "contains '#'"),
        ("a\\b", "contains '\\\\'"),
        ("a:b", "contains ':'"),
    ])
    func injectionInPlainPlaceholderRefused(value: String, fragment: String) throws {
        let error = try #require(try renderError(github.replacingOccurrences(of: "{repository#2}", with: "{repository_owner}"),
                                                 claims(["repository_owner": .string(value)])))
        #expect(error.message.contains("claim 'repository_owner'"), "\(error)")
        #expect(error.message.contains(fragment), "\(error)")
        #expect(error.message.contains("never escaped"))
    }

    @Test(arguments: [
        "acme/../../x", "acme/..", "../api", "acme/.", "acme/", "/api", "acme//api", "acme/api/extra/..",
        "acme/%2e%2e", "acme/a b", "acme/\u{430}pi",
    ])
    func injectionInSplitPlaceholderRefused(value: String) throws {
        let error = try #require(try renderError(github, claims(["repository": .string(value)])), "\(value)")
        #expect(error.message.contains("claim 'repository'"), "\(error)")
        #expect(error.message.contains("{repository#2}"))
    }

    @Test func extraPartsAreAllowedWhenValid() throws {
        // Every part is checked, but a valid third part is simply unused.
        let id = try ClaimTemplate(github, trustDomain: td).render(claims: claims(["repository": .string("acme/api/x")]))
        #expect(id.path == "/ci/github/acme/api")
    }

    @Test(arguments: [
        (JSONValue.bool(true), "is a boolean"),
        (JSONValue.bool(false), "is a boolean"),
        (JSONValue.number(1.5), "non-integer number"),
        (JSONValue.number(1e300), "non-integer number"),
        (JSONValue.array([.string("acme")]), "is a list"),
        (JSONValue.object(["name": .string("acme")]), "is an object"),
        (JSONValue.null, "is missing"),
    ])
    func nonStringValuesRefused(value: JSONValue, fragment: String) throws {
        let error = try #require(try renderError(github, claims(["repository_owner": value])))
        #expect(error.message.contains("claim 'repository_owner'"))
        #expect(error.message.contains(fragment), "\(error)")
    }

    @Test func missingClaimRefused() throws {
        let error = try #require(try renderError(github, ["repository": .string("acme/api")]))
        #expect(error.message == "claim 'repository_owner' is missing from the token, so {repository_owner} cannot be filled")
    }

    @Test func concatenatedDotSegmentRefused() throws {
        // Each piece is checked on its own ("." is refused), and the joined segment is checked again.
        #expect(try renderError("spiffe://example.org/a/{x}{y}", ["x": .string("."), "y": .string(".")]) != nil)
        #expect(try ClaimTemplate("spiffe://example.org/a/.{x}", trustDomain: td).render(claims: ["x": .string("v")]).path
            == "/a/.v")
        #expect(try renderError("spiffe://example.org/a/.{x}", ["x": .string(".")])?.message.contains("dot segment") == true)
    }

    @Test func reservedPrefixRefused() throws {
        let parseError = #expect(throws: ClaimTemplateError.self) {
            try ClaimTemplate("spiffe://example.org/signet/{sub}", trustDomain: td)
        }
        #expect(parseError?.message.contains("reserved") == true)
        // Rendered into the reserved prefix through a placeholder.
        let error = try #require(try renderError("spiffe://example.org/{team}/x", ["team": .string("signet")]))
        #expect(error.message.contains("reserved"))
        // "signetx" is not the reserved prefix.
        #expect(try ClaimTemplate("spiffe://example.org/{team}/x", trustDomain: td).render(claims: ["team": .string("signetx")])
            .path == "/signetx/x")
    }

    @Test func tooLongRenderedIDRefused() throws {
        let long = String(repeating: "a", count: 2100)
        let error = try #require(try renderError("spiffe://example.org/{x}", ["x": .string(long)]))
        #expect(error.message.contains("2048"))
    }

    // MARK: Template syntax

    @Test(arguments: [
        ("spiffe://other.org/ci/{sub}", "start it with spiffe://example.org/"),
        ("spiffe://example.org.evil/ci/{sub}", "start it with spiffe://example.org/"),
        ("spiffe://example.org", "has no path"),
        ("spiffe://example.org/", "empty path segment"),
        ("spiffe://example.org/ci//{sub}", "empty path segment"),
        ("spiffe://example.org/ci/{sub}/", "empty path segment"),
        ("spiffe://example.org/ci/../{sub}", "'.' and '..'"),
        ("spiffe://example.org/ci/./{sub}", "'.' and '..'"),
        ("https://example.org/{sub}", "must be a SPIFFE ID"),
        ("/ci/{sub}", "must be a SPIFFE ID"),
        ("spiffe://example.org/ci/{sub", "without a closing '}'"),
        ("spiffe://example.org/ci/sub}", "without an opening '{'"),
        ("spiffe://example.org/ci/{}", "empty placeholder"),
        ("spiffe://example.org/ci/{a b}", "may contain only"),
        ("spiffe://example.org/ci/{a..b}", "empty component"),
        ("spiffe://example.org/ci/{.a}", "empty component"),
        ("spiffe://example.org/ci/{repository#0}", "part number"),
        ("spiffe://example.org/ci/{repository#}", "part number"),
        ("spiffe://example.org/ci/{repository#x}", "part number"),
        ("spiffe://example.org/ci/{repository#33}", "part number"),
        ("spiffe://example.org/ci/{repository#-1}", "part number"),
        ("spiffe://example.org/ci/{repository#01}", "part number"),
        ("spiffe://example.org/ci/{a/b}", "without a closing"),  // '/' splits segments first
        ("spiffe://example.org/c i/{sub}", "' ' is not allowed"),
        ("spiffe://example.org/ci%2F/{sub}", "'%' is not allowed"),
        ("spiffe://example.org/\u{430}/{sub}", "is not allowed"),
        ("spiffe://example.org/signet", "reserved"),
    ])
    func templateSyntaxErrors(template: String, fragment: String) {
        let error = #expect(throws: ClaimTemplateError.self) { try ClaimTemplate(template, trustDomain: td) }
        #expect(error?.message.contains(fragment) == true, "\(template): \(String(describing: error))")
    }

    // MARK: Claim paths

    @Test func claimPathResolution() throws {
        let claims: [String: JSONValue] = [
            "kubernetes.io": .object(["namespace": .string("ns"), "pod": .object(["name": .string("p")])]),
            "a": .object(["b": .string("nested")]),
            "a.b": .string("dotted"),
            "plain": .string("v"),
        ]
        #expect(try ClaimPath("kubernetes.io.namespace").resolve(in: claims) == .string("ns"))
        #expect(try ClaimPath("kubernetes.io.pod.name").resolve(in: claims) == .string("p"))
        #expect(try ClaimPath("kubernetes.io").resolve(in: claims)?.objectValue != nil)
        // Greedy: the longest member name wins at each level.
        #expect(try ClaimPath("a.b").resolve(in: claims) == .string("dotted"))
        #expect(try ClaimPath("plain").resolve(in: claims) == .string("v"))
        #expect(try ClaimPath("plain.x").resolve(in: claims) == nil)
        #expect(try ClaimPath("nope").resolve(in: claims) == nil)
        #expect(try ClaimPath("kubernetes.io.nope").resolve(in: claims) == nil)
        #expect(try ClaimPath("kubernetes").resolve(in: claims) == nil)
        #expect(try ClaimPath("kubernetes.io.namespace").dotted == "kubernetes.io.namespace")
    }

    @Test func claimPathKeysMatchByteForByte() throws {
        // A composed "é" key is not found by a decomposed lookup and vice versa.
        let claims: [String: JSONValue] = ["caf\u{E9}": .string("x")]
        let path = ClaimPath(keys: [ClaimPath.Key(name: "cafe\u{301}", exact: true)])
        #expect(path.resolve(in: claims) == nil)
        #expect(ClaimPath(keys: [ClaimPath.Key(name: "caf\u{E9}", exact: true)]).resolve(in: claims) == .string("x"))
    }

    @Test(arguments: ["", ".", "a.", ".a", "a..b", "a b", "a/b", "é", "a#1", String(repeating: "a", count: 257),
                      Array(repeating: "a", count: 17).joined(separator: ".")])
    func invalidClaimPaths(path: String) {
        #expect(throws: ClaimTemplateError.self) { try ClaimPath(path) }
    }
}
