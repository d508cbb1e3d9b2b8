/// A `key = value` / `key: value` / `key => value` / `key := value` occurrence, the input of the
/// contextual and generic rules.
///
/// Parsing is anchored on the operator byte and works outwards: the key backwards, the value
/// forwards. It allocates nothing: the normalised key lives in a stack buffer for the duration of
/// the rule calls.
struct Assignment {
    let input: ScanInput
    /// The key, lower-cased with separators removed: `AWS_SECRET_ACCESS_KEY`, `awsSecretAccessKey`
    /// and `aws.secret-access-key` all read `awssecretaccesskey`.
    let key: UnsafeBufferPointer<UInt8>
    /// The value without its quotes.
    let value: Range<Int>
    let quoted: Bool

    var valueBytes: UnsafeBufferPointer<UInt8> { input.slice(value) }
    var valueLength: Int { value.count }

    func keyContains(_ word: StaticString) -> Bool {
        let needle = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        guard needle.count <= key.count else { return false }
        outer: for start in 0...(key.count - needle.count) {
            for offset in 0..<needle.count where key[start + offset] != needle[offset] { continue outer }
            return true
        }
        return false
    }

    func keyHasSuffix(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard count <= key.count else { return false }
        let needle = UnsafeBufferPointer(start: word.utf8Start, count: count)
        for offset in 0..<count where key[key.count - count + offset] != needle[offset] { return false }
        return true
    }

    func keyIs(_ word: StaticString) -> Bool {
        key.count == word.utf8CodeUnitCount && keyHasSuffix(word)
    }

    func valueIs(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard count == value.count else { return false }
        let needle = UnsafeBufferPointer(start: word.utf8Start, count: count)
        for offset in 0..<count where input.bytes[value.lowerBound + offset] != needle[offset] { return false }
        return true
    }

    func valueAll(_ cls: ByteClass) -> Bool { input.all(in: value, cls) }

    /// A non-consuming match on the value, so a structured token inside it can still win.
    func match(_ detector: SecretDetector) -> RuleMatch {
        RuleMatch(detector, start: value.lowerBound, secret: value, consumes: false)
    }
}

/// A rule evaluated on every assignment whose value is long enough to be a secret.
struct AssignmentRule: Sendable {
    let match: @Sendable (Assignment) -> RuleMatch?
}

/// Turns the assignment rules into anchor rules on `=` and `:`.
enum AssignmentParser {
    private static let keyClass = ByteClass("A-Za-z0-9_.-")
    /// Bytes that may appear in an unquoted value (everything but whitespace and closing punctuation).
    private static let unquotedValue = ByteClass(" \t\r\n,;)}]\"'`<&").complement
    private static let quotes = ByteClass("\"'`")
    static let minimumValueLength = 6
    private static let maximumValueLength = 512

    private static let valueKey = Array("value".utf8)
    private static let valueKeyUpper = Array("Value".utf8)
    private static let nameKeys = [Array("name".utf8), Array("Name".utf8)]

    /// Kubernetes `env`, ECS task definitions and CloudFormation parameters spell a setting as a
    /// `name`/`value` pair: `- name: DB_PASSWORD` then `value: "…"`, on one line or two. The
    /// setting's name is the key that matters, so it replaces `value`.
    private static func nameOfValue(_ input: ScanInput, before keyStart: Int) -> Range<Int>? {
        var newlines = 0
        var cursor = keyStart - 1
        let floor = max(0, keyStart - 256)
        while cursor >= floor {
            let byte = input.bytes[cursor]
            if byte == UInt8(ascii: "\n") {
                newlines += 1
                if newlines == 2 { return nil }
            } else if nameKeys.contains(where: { input.matches($0, at: cursor) }),
                      !keyClass.contains(input.byte(cursor - 1)) {
                var start = cursor + 4
                if quotes.contains(input.byte(start)) { start += 1 }
                guard input.byte(start) == UInt8(ascii: ":") || input.byte(start) == UInt8(ascii: "=") else { return nil }
                start += 1
                while input.byte(start) == UInt8(ascii: " ") || quotes.contains(input.byte(start)) { start += 1 }
                let length = input.run(of: keyClass, from: start, limit: 64)
                return length > 0 ? start..<(start + length) : nil
            }
            cursor -= 1
        }
        return nil
    }

    /// Cheap pre-filter: every assignment rule keys on a name containing one of these words
    /// (`key`, `secret`, `token`, `pass`, `pwd`, `auth`, `cred`, or `type` for service-account
    /// JSON), so most assignments (`id:`, `name:`, `image:`) never reach the rules.
    private static func mayNameSecret(_ key: UnsafeBufferPointer<UInt8>) -> Bool {
        func has(_ word: StaticString, at index: Int) -> Bool {
            let count = word.utf8CodeUnitCount
            guard index + count <= key.count else { return false }
            for offset in 1..<count where key[index + offset] != word.utf8Start[offset] { return false }
            return true
        }
        for index in 0..<key.count {
            switch key[index] {
            case UInt8(ascii: "k"): if has("key", at: index) { return true }
            case UInt8(ascii: "s"): if has("secret", at: index) { return true }
            case UInt8(ascii: "t"): if has("token", at: index) || has("type", at: index) { return true }
            case UInt8(ascii: "p"): if has("pass", at: index) || has("pwd", at: index) { return true }
            case UInt8(ascii: "a"): if has("auth", at: index) { return true }
            case UInt8(ascii: "c"): if has("cred", at: index) { return true }
            default: break
            }
        }
        return false
    }

    static func anchorRules(_ rules: [AssignmentRule]) -> [AnchorRule] {
        guard !rules.isEmpty else { return [] }
        let parse: @Sendable (ScanInput, Int) -> RuleMatch? = { input, at in
            parseAndMatch(input, operatorAt: at, rules: rules)
        }
        return [AnchorRule("=", match: parse), AnchorRule(":", match: parse)]
    }

    private static func parseAndMatch(_ input: ScanInput, operatorAt op: Int, rules: [AssignmentRule]) -> RuleMatch? {
        var keyEnd = op
        var valueStart = op + 1
        let next = input.byte(op + 1)
        let previous = input.byte(op - 1)
        if input.bytes[op] == UInt8(ascii: ":") {
            // `::` (scopes), `:=` (handled at the `=`), `://` (URL rules).
            if next == UInt8(ascii: ":") || next == UInt8(ascii: "=") || next == UInt8(ascii: "/")
                || previous == UInt8(ascii: ":") { return nil }
        } else {
            if next == UInt8(ascii: "=") || next == UInt8(ascii: "~") { return nil }
            switch previous {
            case UInt8(ascii: "="), UInt8(ascii: "!"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "+"),
                 UInt8(ascii: "-"), UInt8(ascii: "*"), UInt8(ascii: "/"), UInt8(ascii: "|"), UInt8(ascii: "&"),
                 UInt8(ascii: "^"), UInt8(ascii: "%"):
                return nil
            case UInt8(ascii: ":"):
                keyEnd = op - 1
            default:
                break
            }
            if next == UInt8(ascii: ">") { valueStart = op + 2 }
        }

        // Value first: most assignments have short values and are rejected before the key is read.
        var cursor = valueStart
        while input.byte(cursor) == UInt8(ascii: " ") || input.byte(cursor) == UInt8(ascii: "\t") { cursor += 1 }
        let quote = input.byte(cursor)
        let quoted = quotes.contains(quote)
        let value: Range<Int>
        if quoted {
            let start = cursor + 1
            var end = start
            let limit = min(input.count, start + maximumValueLength)
            while end < limit {
                let byte = input.bytes[end]
                if byte == quote { break }
                if byte == UInt8(ascii: "\n") { return nil }
                end += byte == UInt8(ascii: "\\") ? 2 : 1
            }
            guard end < limit else { return nil }
            value = start..<end
        } else {
            let length = input.run(of: unquotedValue, from: cursor, limit: maximumValueLength + 1)
            guard length <= maximumValueLength else { return nil }
            value = cursor..<(cursor + length)
        }
        guard value.count >= minimumValueLength else { return nil }

        var keyCursor = keyEnd - 1
        while input.byte(keyCursor) == UInt8(ascii: " ") || input.byte(keyCursor) == UInt8(ascii: "\t") { keyCursor -= 1 }
        if input.byte(keyCursor) == UInt8(ascii: "]") { keyCursor -= 1 }
        if quotes.contains(input.byte(keyCursor)) { keyCursor -= 1 }
        let keyLength = input.runBackward(of: keyClass, before: keyCursor + 1, limit: 64)
        guard keyLength > 0 else { return nil }
        var keyRange = (keyCursor + 1 - keyLength)..<(keyCursor + 1)
        if keyLength == 5, input.matches(valueKey, at: keyRange.lowerBound) || input.matches(valueKeyUpper, at: keyRange.lowerBound),
           let named = nameOfValue(input, before: keyRange.lowerBound) {
            keyRange = named
        }

        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { buffer -> RuleMatch? in
            var count = 0
            for index in keyRange {
                let byte = input.bytes[index]
                switch byte {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"): buffer[count] = byte | 0x20; count += 1
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    buffer[count] = byte; count += 1
                default: break
                }
            }
            let key = UnsafeBufferPointer(rebasing: buffer[0..<count])
            guard mayNameSecret(key) else { return nil }
            let assignment = Assignment(input: input, key: key, value: value, quoted: quoted)
            for rule in rules {
                if var match = rule.match(assignment) {
                    if quoted { match.end = max(match.end, value.upperBound + 1) }
                    return match
                }
            }
            return nil
        }
    }
}

extension ByteClass {
    var complement: ByteClass {
        var result = ByteClass("")
        for byte in 0...255 where !contains(UInt8(byte)) { result.insert(UInt8(byte)) }
        return result
    }
}

extension Assignment {
    func keyHasPrefix(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard count <= key.count else { return false }
        let needle = UnsafeBufferPointer(start: word.utf8Start, count: count)
        for offset in 0..<count where key[offset] != needle[offset] { return false }
        return true
    }

    /// `8-4-4-4-12` hexadecimal.
    var valueIsUUID: Bool {
        guard value.count == 36 else { return false }
        for (offset, index) in value.enumerated() {
            let byte = input.bytes[index]
            if offset == 8 || offset == 13 || offset == 18 || offset == 23 {
                if byte != UInt8(ascii: "-") { return false }
            } else if !ByteClass.hex.contains(byte) {
                return false
            }
        }
        return true
    }

    var valueEntropy: Double { Entropy.bitsPerByte(valueBytes) }
    var valueIsPlaceholder: Bool { Placeholder.isPlaceholder(valueBytes) }
}
