/// Recognises values that look like secrets but are not: placeholders, template references and
/// the example credentials printed in vendor documentation.
enum Placeholder {
    /// Substrings (lower-case) that mark a value as a placeholder or reference.
    private static let markers: [[UInt8]] = [
        "changeme", "change_me", "change-me", "changeit", "placeholder", "example", "sample",
        "your_", "your-", "yourpass", "yoursecret", "yourtoken", "yourkey", "redacted", "replace",
        "dummy", "xxxx", "****", "....", "<", ">", "${", "{{", "$(", "%(", "%s", "#{", "todo", "fixme",
        "secret_here", "token_here", "key_here", "password_here", "insert", "lorem", "notreal", "not_real",
        "fake", "test1234", "12345678", "abcdefgh", "qwerty", "os.environ", "getenv", "process.env",
        "env(", "vault:", "secretref", "valuefrom",
    ].map { Array($0.utf8) }

    /// Whole values (lower-case) that are words, not secrets.
    private static let words: Set<[UInt8]> = Set([
        "password", "passwd", "secret", "token", "apikey", "api_key", "null", "none", "true", "false",
        "undefined", "required", "optional", "string", "hidden", "masked", "default", "empty",
        "pass", "pwd", "admin", "root", "user", "username", "value", "nil",
    ].map { Array($0.utf8) })

    /// Whether `value` is a placeholder, a template reference or a documented example.
    static func isPlaceholder(_ value: UnsafeBufferPointer<UInt8>) -> Bool {
        if isDocumentedExample(value) { return true }
        if value.first == UInt8(ascii: "$") || value.first == UInt8(ascii: "%") { return true }
        let lower = value.map { ($0 >= 65 && $0 <= 90) ? $0 | 0x20 : $0 }
        if words.contains(lower) { return true }
        for marker in markers where contains(lower, marker) { return true }
        // One repeated character ("aaaaaaaa", "--------").
        if let first = lower.first, lower.allSatisfy({ $0 == first }) { return true }
        return false
    }

    /// Vendor documentation examples (AWS's `…EXAMPLE` keys and friends) are public on purpose.
    static func isDocumentedExample(_ value: UnsafeBufferPointer<UInt8>) -> Bool {
        contains(value, Array("EXAMPLE".utf8))
    }

    private static func contains<C: Collection>(_ haystack: C, _ needle: [UInt8]) -> Bool
    where C.Element == UInt8, C.Index == Int {
        guard needle.count <= haystack.count, let first = needle.first else { return false }
        var index = haystack.startIndex
        let last = haystack.endIndex - needle.count
        while index <= last {
            if haystack[index] == first {
                var offset = 1
                while offset < needle.count, haystack[index + offset] == needle[offset] { offset += 1 }
                if offset == needle.count { return true }
            }
            index += 1
        }
        return false
    }
}
