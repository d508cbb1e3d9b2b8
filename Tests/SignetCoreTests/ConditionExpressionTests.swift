import Testing
@testable import SignetCore

/// The condition language is a security boundary: these tests pin its syntax, semantics,
/// error offsets and every bound.
struct ConditionExpressionTests {
    static let github: [String: JSONValue] = [
        "iss": .string("https://token.actions.githubusercontent.com"),
        "aud": .string("signet"),
        "sub": .string("repo:acme/api:ref:refs/heads/main"),
        "repository": .string("acme/api"),
        "repository_owner": .string("acme"),
        "repository_owner_id": .string("1234"),
        "ref": .string("refs/heads/main"),
        "run_number": .number(42),
        "workflow": .string("deploy"),
        "environment": .string("prod"),
        "groups": .array([.string("admins"), .string("devs")]),
        "draft": .bool(false),
    ]

    static let kubernetes: [String: JSONValue] = [
        "iss": .string("https://k8s.example.org"),
        "sub": .string("system:serviceaccount:payments:api"),
        "aud": .array([.string("signet")]),
        "kubernetes.io": .object([
            "namespace": .string("payments"),
            "serviceaccount": .object(["name": .string("api"), "uid": .string("0b7c-11")]),
            "pod": .object(["name": .string("api-7f9"), "uid": .string("9d2e")]),
        ]),
    ]

    func eval(_ source: String, _ claims: [String: JSONValue] = github) throws -> Bool {
        try ConditionExpression(source).evaluate(claims: claims)
    }

    func parseError(_ source: String) -> ConditionError? {
        do {
            _ = try ConditionExpression(source)
            return nil
        } catch {
            return error
        }
    }

    func evalError(_ source: String, _ claims: [String: JSONValue] = github) throws -> ConditionError? {
        let expression = try ConditionExpression(source)
        do {
            _ = try expression.evaluate(claims: claims)
            return nil
        } catch {
            return error
        }
    }

    // MARK: Operators

    @Test(arguments: [
        (#"claims.repository_owner == "acme""#, true),
        (#"claims.repository_owner == "acme2""#, false),
        (#""acme" == claims.repository_owner"#, true),
        (#"claims.repository_owner != "evil""#, true),
        (#"claims.repository_owner != "acme""#, false),
        ("claims.run_number == 42", true),
        ("claims.run_number != 42", false),
        ("claims.run_number < 43", true),
        ("claims.run_number < 42", false),
        ("claims.run_number <= 42", true),
        ("claims.run_number > 41", true),
        ("claims.run_number > 42", false),
        ("claims.run_number >= 42", true),
        ("claims.run_number >= 43", false),
        ("-1 < 0", true),
        (#""abc" < "abd""#, true),
        (#""abc" < "ab""#, false),
        (#""ab" <= "ab""#, true),
        (#""b" > "a""#, true),
        (#""a" >= "b""#, false),
        ("claims.draft == false", true),
        ("true == true", true),
        ("claims.missing == null", true),
        ("claims.draft == null", false),
        (#"claims.run_number == "42""#, false),  // different types are never equal
        ("true && true", true),
        ("true && false", false),
        ("false || true", true),
        ("false || false", false),
        ("!false", true),
        ("!!true", true),
        ("!(1 == 2)", true),
        (#"claims.environment in ["prod", "staging"]"#, true),
        (#"claims.environment in ["dev"]"#, false),
        ("claims.environment in []", false),
        ("claims.run_number in [1, 42]", true),
        (#""admins" in claims.groups"#, true),
        (#""root" in claims.groups"#, false),
        (#"claims.ref.startsWith("refs/heads/")"#, true),
        (#"claims.ref.startsWith("refs/tags/")"#, false),
        (#"claims.ref.endsWith("/main")"#, true),
        (#"claims.ref.endsWith("/dev")"#, false),
        (#"claims.ref.startsWith("")"#, true),
        (#"!claims.ref.startsWith("refs/tags/")"#, true),
        (#"claims.repository matches "acme/*""#, true),
        (#"claims.repository matches "acme/a?i""#, true),
        (#"claims.repository matches "acme/a?""#, false),
        (#"claims.repository matches "*/api""#, true),
        (#"claims.repository matches "evil/*""#, false),
        (#"claims.repository matches "acme/api""#, true),
        (#"claims.repository matches "*""#, true),
        (#"claims.repository_owner == "acme" && (claims.ref == "refs/heads/main" || claims.environment == "prod")"#, true),
        (#"claims.repository_owner == "evil" || claims.workflow == "deploy" && claims.environment == "prod""#, true),
        (#"(claims.repository_owner == "evil" || claims.workflow == "deploy") && claims.environment == "dev""#, false),
    ])
    func operators(source: String, expected: Bool) throws {
        #expect(try eval(source) == expected, "\(source)")
    }

    @Test func kubernetesClaims() throws {
        let claims = Self.kubernetes
        #expect(try eval(#"claims.kubernetes.io.namespace == "payments""#, claims))
        #expect(try eval(#"claims["kubernetes.io"].namespace == "payments""#, claims))
        #expect(try eval(#"claims["kubernetes.io"]["serviceaccount"].name == "api""#, claims))
        #expect(try eval(#"claims.kubernetes.io.serviceaccount.name in ["api", "worker"]"#, claims))
        #expect(try eval(#"claims.sub.startsWith("system:serviceaccount:payments:")"#, claims))
        #expect(try eval(#"claims.kubernetes.io.pod.name matches "api-*""#, claims))
        // "kubernetes" alone is not a member, and an exact bracket key is never split.
        #expect(try eval("claims.kubernetes == null", claims))
        #expect(try eval(#"claims["kubernetes"]["io"].namespace == null"#, claims))
    }

    @Test func stringsCompareByteForByte() throws {
        // U+00E9 vs e + U+0301: equal to Swift's String ==, different bytes.
        let claims: [String: JSONValue] = ["name": .string("caf\u{E9}")]
        #expect(try eval(#"claims.name == "caf\u00e9""#, claims))
        #expect(try !eval(#"claims.name == "cafe\u0301""#, claims))
        #expect(try eval(#"claims.name != "cafe\u0301""#, claims))
        #expect(try !eval(#"claims.name in ["cafe\u0301"]"#, claims))
        #expect(try !eval(#"claims.name.startsWith("cafe")"#, claims))
        // Cyrillic "а" (U+0430) is not Latin "a".
        let lookalike: [String: JSONValue] = ["repository_owner": .string("\u{430}cme")]
        #expect(try !eval(#"claims.repository_owner == "acme""#, lookalike))
        #expect(try !eval(#"claims.repository_owner matches "acm?""#, lookalike))
        // Ordering is by UTF-8 bytes.
        #expect(try eval(#""Z" < "a""#))
        #expect(try eval(#""\u00e9" > "z""#))
    }

    @Test func jsonEscapesInStrings() throws {
        let claims: [String: JSONValue] = ["v": .string("a\"b\\c\n/\u{1F600}")]
        #expect(try eval(#"claims.v == "a\"b\\c\n\/\ud83d\ude00""#, claims))
    }

    @Test func missingClaimsAreNull() throws {
        #expect(try eval("claims.nope == null"))
        #expect(try eval(#"claims.nope != "x""#))
        #expect(try !eval(#"claims.nope == "x""#))
        #expect(try !eval(#"claims.nope in ["x", "y"]"#))
        #expect(try eval("claims.nope in [null]"))
        // A path through a non-object is missing, not an error.
        #expect(try eval("claims.repository.owner == null"))
        #expect(try eval("claims.a.b.c.d == null"))
    }

    // MARK: Short-circuit

    @Test func shortCircuit() throws {
        // The right side would be a type error; it must not be evaluated.
        #expect(try !eval(#"false && claims.nope.startsWith("x")"#))
        #expect(try eval(#"true || claims.nope.startsWith("x")"#))
        #expect(try eval(#"claims.nope != null && claims.nope.startsWith("x") || true"#))
        #expect(try !eval(#"claims.nope != null && claims.nope.startsWith("x")"#))
        // Without short-circuit it does throw.
        #expect(try evalError(#"true && claims.nope.startsWith("x")"#) != nil)
        #expect(try evalError(#"false || claims.nope.startsWith("x")"#) != nil)
    }

    // MARK: Type errors

    @Test(arguments: [
        (#"claims.nope.startsWith("x")"#, "startsWith needs a string"),
        (#"claims.run_number.endsWith("2")"#, "needs a string"),
        (#"claims.ref.startsWith(1)"#, "the argument of startsWith needs a string"),
        (#"claims.run_number matches "4*""#, "'matches' needs a string"),
        (#"claims.ref matches claims.nope"#, "glob"),
        ("claims.repository && true", "'&&' needs true or false"),
        ("false || claims.run_number", "'||' needs true or false"),
        ("!claims.repository", "'!' needs true or false"),
        ("claims.repository", "a condition needs true or false"),
        (#""x""#, "needs true or false"),
        (#"claims.run_number < "50""#, "compares two numbers or two strings"),
        ("claims.nope > 1", "null (missing)"),
        ("true < false", "compares two numbers or two strings"),
        (#""x" in claims.repository"#, "must be a list"),
        (#""x" in claims.nope"#, "must be a list"),
        (#"claims.groups == ["admins", "devs"]"#, "use 'in'"),
        (#"claims["kubernetes.io"] == null"#, "an object"),
        (#"claims.groups in [1]"#, "use 'in'"),
    ])
    func typeErrors(source: String, fragment: String) throws {
        let claims = Self.github.merging(["kubernetes.io": .object([:])]) { $1 }
        let error = try #require(try evalError(source, claims), "\(source) should throw")
        #expect(error.message.contains(fragment), "\(error)")
        #expect(error.offset != nil)
    }

    @Test func typeErrorOffsetsPointAtTheOperand() throws {
        let error = try #require(try evalError(#"claims.ref == "x" || claims.nope.startsWith("a")"#))
        #expect(error.offset == 21)  // `claims.nope`
        #expect(error.message.contains("claims.nope"))
    }

    // MARK: Parse errors

    @Test(arguments: [
        ("", 0, "empty"),
        ("   ", 3, "empty"),
        (#"claims.a = "x""#, 9, "'=='"),
        (#"claims.a == 'x'"#, 12, "double quotes"),
        (#"claims.a & true"#, 9, "'&&'"),
        (#"claims.a | true"#, 9, "'||'"),
        (#"claims.a == "x"#, 12, "unterminated"),
        (#"claims.a == "\x""#, 15, "invalid string literal"),
        (#"claims.a == "\ud800""#, 19, "surrogate"),
        ("claims.a == 1.5", 12, "only integers"),
        ("claims.a == 01", 12, "leading zeros"),
        ("claims.a == 1234567890123456", 12, "digits"),
        ("claims.a == -", 12, "'-' must start a number"),
        ("claims", 0, "must be followed by a claim name"),
        ("claims.", 0, "must be followed"),
        ("claims.a ==", 11, "ends early"),
        ("(claims.a == 1", 14, "expected ')'"),
        ("claims.a == 1)", 13, "unexpected ')'"),
        ("repository == 1", 0, "unknown name 'repository'"),
        (#"claims.a.contains("x")"#, 9, "'contains' is unknown"),
        (#""x".foo"#, 4, "only claims have members"),
        (#""x".startsWith"#, 14, "expected '(' after startsWith"),
        (#"claims.a.startsWith("#, 20, "ends early"),
        (#"claims.a.startsWith("x""#, 23, "expected ')'"),
        ("claims.a == 1 == 2", 14, "cannot follow another comparison"),
        ("claims.a in [claims.b]", 13, "list elements must be literals"),
        ("claims.a in [1, 2", 17, "expected ']'"),
        (#"!claims.a == "x""#, 0, "write !(a == b)"),
        ("claims.a == ü", 12, "non-ASCII"),
        ("claims.a == 1 claims.b", 14, "expected '&&', '||'"),
        (#"claims[""] == 1"#, 7, "must not be empty"),
        ("claims.a == @", 12, "unexpected character '@'"),
        ("&& true", 0, "'&&'"),
    ])
    func parseErrors(source: String, offset: Int, fragment: String) throws {
        let error = try #require(parseError(source), "\(source) should not parse")
        #expect(error.offset == offset, "\(source): \(error)")
        #expect(error.message.contains(fragment), "\(source): \(error)")
        #expect(error.description.contains("at byte \(offset)"))
    }

    // MARK: Bounds

    @Test func lengthBound() throws {
        let filler = String(repeating: " ", count: ConditionExpression.maxLength - 4)
        #expect(throws: Never.self) { try ConditionExpression(filler + "true") }
        let error = try #require(parseError(filler + " true"))
        #expect(error.offset == nil)
        #expect(error.message.contains("4097 bytes"))
        // Bytes, not characters: 2-byte characters count twice.
        let wide = #""# + "\"" + String(repeating: "é", count: 2047) + "\" == \"\""
        #expect(parseError(wide)?.message.contains("at most 4096") == true)
    }

    @Test func depthBound() throws {
        func nested(_ n: Int) -> String { String(repeating: "(", count: n) + "true" + String(repeating: ")", count: n) }
        #expect(throws: Never.self) { try ConditionExpression(nested(ConditionExpression.maxDepth)) }
        #expect(parseError(nested(ConditionExpression.maxDepth + 1))?.message.contains("nested deeper") == true)
        // A deep paren attack far beyond the bound fails fast instead of overflowing the stack.
        #expect(parseError(nested(2000))?.message.contains("nested deeper") == true)
        let bangs = String(repeating: "!", count: 1000) + "true"
        #expect(parseError(bangs)?.message.contains("nested deeper") == true)
        #expect(throws: Never.self) { try ConditionExpression(String(repeating: "!", count: 30) + "true") }
        // Method arguments nest too.
        let calls = String(repeating: #"claims.a.startsWith("#, count: 40) + #""x""# + String(repeating: ")", count: 40)
        #expect(parseError(calls)?.message.contains("nested deeper") == true)
    }

    @Test func longFlatChainsAreNotDeep() throws {
        // 150 disjuncts are a flat n-ary node, not a 150-deep tree.
        let chain = (0..<150).map { "claims.n==\($0)" }.joined(separator: "||")
        #expect(try eval(chain, ["n": .number(149)]))
        #expect(try !eval(chain, ["n": .number(150)]))
    }

    @Test func nodeBound() throws {
        let list = "[" + (0..<600).map(String.init).joined(separator: ",") + "]"
        let error = try #require(parseError("claims.run_number in \(list)"))
        #expect(error.message.contains("more than 512 parts"))
        let chain = (0..<300).map { _ in "true" }.joined(separator: "&&")
        #expect(throws: Never.self) { try ConditionExpression(chain) }
        let tooMany = (0..<520).map { _ in "true" }.joined(separator: "&&")
        #expect(parseError(tooMany)?.message.contains("more than 512 parts") == true)
    }

    @Test func stepBoundOnHugeClaims() throws {
        // Each comparison of a 64 KiB string costs thousands of steps; a few of them exceed the budget.
        let big = String(repeating: "a", count: 65_536)
        let claims: [String: JSONValue] = ["big": .string(big), "list": .array(Array(repeating: .string(big + "b"), count: 50))]
        let expression = try ConditionExpression(#"claims.big in claims.list && false"#)
        let error = try #require(throws: ConditionError.self) { try expression.evaluate(claims: claims) }
        #expect(error.message.contains("evaluation steps"))
        // Long lists of small values stay cheap.
        let many: [String: JSONValue] = ["list": .array((0..<5000).map { .number(Double($0)) })]
        #expect(try eval("4999 in claims.list", many))
        let tooMany: [String: JSONValue] = ["list": .array((0..<20_000).map { .number(Double($0)) })]
        #expect(try evalError("19999 in claims.list", tooMany)?.message.contains("evaluation steps") == true)
    }

    @Test func pathologicalGlobIsLinear() throws {
        // `a*a*…a*b` against `aaaa…` is quadratic for backtracking matchers.
        let pattern = String(repeating: "a*", count: 1000) + "b"
        let text = String(repeating: "a", count: 20_000)
        let claims: [String: JSONValue] = ["s": .string(text)]
        let source = "claims.s matches \"\(pattern)\""
        let clock = ContinuousClock()
        let started = clock.now
        #expect(try !eval(source, claims))
        #expect(clock.now - started < .seconds(1))
        let (matched, cost) = GlobPattern(pattern).match(text, budget: .max)
        #expect(!matched)
        #expect(cost <= text.count + pattern.count * 2)
        #expect(try eval("claims.s matches \"\(pattern.dropLast())\"", claims))
        // Middle pieces with `?` and a long text stay within the step budget too.
        let tricky = "*" + String(repeating: "a", count: 60) + "?b*"
        #expect(try !eval("claims.s matches \"\(tricky)\"", claims))
    }

    @Test func globSemantics() {
        #expect(GlobPattern("").matches(""))
        #expect(!GlobPattern("").matches("a"))
        #expect(GlobPattern("*").matches(""))
        #expect(GlobPattern("**").matches("abc"))
        #expect(GlobPattern("a*").matches("a"))
        #expect(GlobPattern("*a").matches("a"))
        #expect(!GlobPattern("a*a").matches("a"))
        #expect(GlobPattern("a*a").matches("aa"))
        #expect(GlobPattern("?").matches("é"))  // one scalar
        #expect(!GlobPattern("??").matches("é"))
        #expect(GlobPattern("a*b*c").matches("axxbyyc"))
        #expect(!GlobPattern("a*b*c").matches("axxcyyb"))
        #expect(GlobPattern("*ab?d*").matches("xxabxdyy"))
        #expect(GlobPattern("spiffe://td/agents/*").matches("spiffe://td/agents/a/b"))
        #expect(!GlobPattern("spiffe://td/agents/*").matches("spiffe://td/agentsx"))
        let long = String(repeating: "ab", count: 50)  // a 100-scalar middle piece uses the direct search
        #expect(GlobPattern("*" + long + "*").matches("zz" + long + "zz"))
        #expect(!GlobPattern("*" + long + "x*").matches("zz" + long + "zz"))
        #expect(GlobPattern("x").isLiteral && !GlobPattern("x?").isLiteral && !GlobPattern("x*").isLiteral)
        #expect(GlobPattern("acme/*").literalPrefix == "acme/")
    }

    // MARK: Analysis

    @Test func pinnedClaims() throws {
        func pins(_ source: String) throws -> Set<String> { try ConditionExpression(source).pinnedClaims }
        #expect(try pins(#"claims.repository_owner == "acme""#) == ["repository_owner"])
        #expect(try pins(#""acme" == claims.repository_owner"#) == ["repository_owner"])
        #expect(try pins(#"claims.repository_owner_id == 1234"#) == ["repository_owner_id"])
        #expect(try pins(#"claims.repository_owner in ["a", "b"]"#) == ["repository_owner"])
        #expect(try pins(#"claims.repository_owner in []"#).isEmpty)
        #expect(try pins(#"claims.repository_owner in ["a", null]"#).isEmpty)
        #expect(try pins(#"claims.repository.startsWith("acme/")"#) == ["repository", "repository_owner"])
        #expect(try pins(#"claims.repository.startsWith("acme")"#).isEmpty)  // would admit acme-evil/x
        #expect(try pins(#"claims.repository.startsWith("/")"#).isEmpty)
        #expect(try pins(#"claims.repository == "acme/api""#) == ["repository", "repository_owner"])
        #expect(try pins(#"claims.repository matches "acme/*""#) == ["repository", "repository_owner"])
        #expect(try pins(#"claims.repository matches "*/api""#).isEmpty)
        #expect(try pins(#"claims.repository_owner matches "acme""#) == ["repository_owner"])
        #expect(try pins(#"claims.sub == "repo:acme/api:ref:refs/heads/main""#) == ["sub", "repository_owner"])
        #expect(try pins(#"claims.sub.startsWith("repo:acme/")"#) == ["sub", "repository_owner"])
        #expect(try pins(#"claims.sub.startsWith("repo:")"#).isEmpty)
        #expect(try pins(#"claims.sub == "system:serviceaccount:ns:sa""#) == ["sub", "kubernetes.io.namespace"])
        #expect(try pins(#"claims.sub.startsWith("system:serviceaccount:ns:")"#) == ["sub", "kubernetes.io.namespace"])
        #expect(try pins(#"claims.sub.startsWith("system:serviceaccount:")"#).isEmpty)
        #expect(try pins(#"claims["kubernetes.io"].namespace == "ns""#) == ["kubernetes.io.namespace"])
        #expect(try pins(#"claims.a == "x" && claims.b == "y""#) == ["a", "b"])
        #expect(try pins(#"claims.a == "x" && (claims.b == "y" && claims.c == "z")"#) == ["a", "b", "c"])
        #expect(try pins(#"claims.a == "x" || claims.b == "y""#).isEmpty)
        #expect(try pins(#"claims.a == "x" || claims.a == "y""#) == ["a"])
        #expect(try pins(#"(claims.a == "x" && claims.b == "1") || (claims.a == "y" && claims.c == "2")"#) == ["a"])
        #expect(try pins(#"!(claims.a != "x")"#).isEmpty)
        #expect(try pins(#"claims.a != "x""#).isEmpty)
        #expect(try pins("claims.a == null").isEmpty)
        #expect(try pins("claims.a == true").isEmpty)
        #expect(try pins("claims.a == claims.b").isEmpty)
        #expect(try pins(#"claims.a.endsWith("/x")"#).isEmpty)
        #expect(try pins(#"claims.a == "x" || true"#).isEmpty)
    }

    @Test func referencedClaims() throws {
        let expression = try ConditionExpression(
            #"claims.a == "x" && (!claims.b.c.startsWith(claims.d) || claims["kubernetes.io"].namespace in ["n"])"#)
        #expect(expression.referencedClaims == ["a", "b.c", "d", "kubernetes.io.namespace"])
        #expect(try ConditionExpression("true").referencedClaims.isEmpty)
    }

    @Test func equalityAndHashingFollowSource() throws {
        #expect(try ConditionExpression("true") == ConditionExpression("true"))
        #expect(try ConditionExpression("true") != ConditionExpression("true "))
        #expect(try ConditionExpression("true").source == "true")
    }
}
