import SignetCore

/// What one import produced: the items, what was skipped or ignored and why, and how many source
/// records were read (rows, list items, tokens, entries), so a caller can tell "nothing found" from
/// "nothing read".
public struct ImportResult: Sendable {
    public var items: [InventoryItem]
    /// Human-readable notes about ignored columns, unsupported objects, skipped secrets. Never secret
    /// values: at most a field name and a record's identity.
    public var warnings: [String]
    public var recordsRead: Int

    public init(items: [InventoryItem], warnings: [String], recordsRead: Int) {
        self.items = items
        self.warnings = warnings
        self.recordsRead = recordsRead
    }
}

/// Warnings deduplicated by a key, so 100 000 rows with the same stray column give one warning.
struct ImportWarnings {
    private(set) var messages: [String] = []
    private var seen: Set<String> = []

    mutating func add(_ message: String) { once(key: message, message) }

    mutating func once(key: String, _ message: @autoclosure () -> String) {
        guard seen.insert(key).inserted else { return }
        messages.append(message())
    }
}
