/// A `scheme://[user[:password]@]host/path` occurrence, the input of URL rules (database URLs,
/// basic-auth URLs, webhook URLs, Sentry DSNs). Anchored on `://`; nothing is allocated.
struct URLCandidate {
    let input: ScanInput
    let schemeStart: Int
    /// Position of the `:` of `://`.
    let colon: Int
    let userinfo: Range<Int>?
    let password: Range<Int>?
    let host: Range<Int>
    /// Everything after the authority up to the end of the URL (path, query, fragment).
    let rest: Range<Int>

    var end: Int { rest.upperBound }

    func schemeIs(_ name: StaticString) -> Bool {
        let count = name.utf8CodeUnitCount
        guard colon - schemeStart == count else { return false }
        let needle = UnsafeBufferPointer(start: name.utf8Start, count: count)
        for offset in 0..<count where input.bytes[schemeStart + offset] | 0x20 != needle[offset] { return false }
        return true
    }

    func hostContains(_ text: StaticString) -> Bool {
        input.firstIndex(
            of: Array(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)),
            from: host.lowerBound, to: host.upperBound) != nil
    }

    func restHasPrefix(_ text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard rest.count >= count else { return false }
        return input.matches(Array(UnsafeBufferPointer(start: text.utf8Start, count: count)), at: rest.lowerBound)
    }
}

struct URLRule: Sendable {
    let match: @Sendable (URLCandidate) -> RuleMatch?
}

enum URLParser {
    private static let schemeClass = ByteClass("A-Za-z0-9+.-")
    private static let terminators = ByteClass(" \t\r\n\"'`<>(){}[]\\|^")
    private static let urlByte = terminators.complement
    private static let authorityByte = terminators.union(ByteClass("/?#")).complement

    static func anchorRules(_ rules: [URLRule]) -> [AnchorRule] {
        guard !rules.isEmpty else { return [] }
        return [AnchorRule("://") { input, at in
            guard let candidate = parse(input, colon: at) else { return nil }
            for rule in rules {
                if let match = rule.match(candidate) { return match }
            }
            return nil
        }]
    }

    static func parse(_ input: ScanInput, colon: Int) -> URLCandidate? {
        let schemeLength = input.runBackward(of: schemeClass, before: colon, limit: 24)
        guard schemeLength > 0 else { return nil }
        let authorityStart = colon + 3
        let authorityLength = input.run(of: authorityByte, from: authorityStart, limit: 513)
        guard authorityLength > 0, authorityLength <= 512 else { return nil }
        let authority = authorityStart..<(authorityStart + authorityLength)
        var at: Int?
        for index in authority.reversed() where input.bytes[index] == UInt8(ascii: "@") {
            at = index
            break
        }
        var userinfo: Range<Int>?
        var password: Range<Int>?
        var host = authority
        if let at {
            userinfo = authorityStart..<at
            host = (at + 1)..<authority.upperBound
            if let separator = (authorityStart..<at).first(where: { input.bytes[$0] == UInt8(ascii: ":") }),
               separator + 1 < at {
                password = (separator + 1)..<at
            }
        }
        let restLength = input.run(of: urlByte, from: authority.upperBound, limit: 4096)
        return URLCandidate(
            input: input, schemeStart: colon - schemeLength, colon: colon, userinfo: userinfo,
            password: password, host: host, rest: authority.upperBound..<(authority.upperBound + restLength))
    }
}
