/// The bytes of one file plus what the rules need to know about it.
///
/// Rules receive this by value; it wraps a buffer that is only valid during `SecretScanner.scan`,
/// so it is deliberately not `Sendable` and never escapes a scan.
struct ScanInput {
    let bytes: UnsafeBufferPointer<UInt8>
    let fileKind: FileKind

    var count: Int { bytes.count }

    /// The byte at `index`, or 0 outside the buffer (0 is in no class, so bounds checks vanish
    /// from validators).
    @inline(__always)
    func byte(_ index: Int) -> UInt8 {
        index >= 0 && index < bytes.count ? bytes[index] : 0
    }

    /// Whether `literal` occurs at `index`.
    func matches(_ literal: [UInt8], at index: Int) -> Bool {
        guard index >= 0, index + literal.count <= bytes.count else { return false }
        for offset in 0..<literal.count where bytes[index + offset] != literal[offset] { return false }
        return true
    }

    /// Length of the run of `cls` bytes starting at `start`, stopping after `limit` bytes.
    func run(of cls: ByteClass, from start: Int, limit: Int = Int.max) -> Int {
        var index = start
        let end = limit == Int.max ? bytes.count : min(bytes.count, start + limit)
        while index < end, cls.contains(bytes[index]) { index += 1 }
        return index - start
    }

    /// Length of the run of `cls` bytes ending just before `end`, going backwards.
    func runBackward(of cls: ByteClass, before end: Int, limit: Int = Int.max) -> Int {
        var index = end - 1
        let floor = limit == Int.max ? 0 : max(0, end - limit)
        while index >= floor, cls.contains(bytes[index]) { index -= 1 }
        return end - 1 - index
    }

    /// Whether the bytes in `range` are all in `cls`.
    func all(in range: Range<Int>, _ cls: ByteClass) -> Bool {
        for index in range where !cls.contains(bytes[index]) { return false }
        return true
    }

    /// First occurrence of `literal` at or after `start` and before `end`.
    func firstIndex(of literal: [UInt8], from start: Int, to end: Int) -> Int? {
        guard let first = literal.first else { return nil }
        let stop = min(end, bytes.count) - literal.count
        var index = max(0, start)
        while index <= stop {
            if bytes[index] == first, matches(literal, at: index) { return index }
            index += 1
        }
        return nil
    }

    func slice(_ range: Range<Int>) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: bytes[range])
    }
}

/// Coarse file type, used by the generic rules: in source code an unquoted right-hand side is an
/// expression, not a literal, whereas in `.env`/YAML/properties files it is the value itself.
enum FileKind: Sendable {
    case sourceCode
    case configuration

    private static let codeExtensions: Set<String> = [
        "py", "js", "mjs", "cjs", "ts", "tsx", "jsx", "go", "java", "kt", "kts", "scala", "rb", "swift",
        "cs", "php", "c", "h", "cc", "cpp", "hpp", "m", "mm", "rs", "dart", "lua", "groovy", "pl", "r",
    ]

    init(path: String) {
        guard let dot = path.lastIndex(of: "."), !path[dot...].contains("/") else {
            self = .configuration
            return
        }
        let ext = path[path.index(after: dot)...].lowercased()
        self = Self.codeExtensions.contains(ext) ? .sourceCode : .configuration
    }
}
