/// Why an input was rejected: which record (a CSV line, a JSON element path), which field, what was
/// wrong and what the importer expected instead.
///
/// An import is all or nothing: a malformed file yields this error and no items, because half an
/// inventory looks like a complete one with credentials missing. Messages never quote secret
/// values (a bad base64 token is reported by its field, not its bytes).
public struct ImportError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file name given to `InventoryImporter.parse` (empty until the importer fills it in).
    public var source: String
    public var format: ImportFormat?
    /// `line 7`, `header`, `items[3] (Secret payments/db-credentials)`, `UserDetailList[0]`, `input`.
    public var record: String
    /// The column or JSON member at fault, when there is one.
    public var field: String?
    /// What is wrong.
    public var problem: String
    /// What the importer expected instead.
    public var expected: String

    public init(
        source: String = "", format: ImportFormat? = nil, record: String, field: String? = nil, problem: String,
        expected: String
    ) {
        self.source = source
        self.format = format
        self.record = record
        self.field = field
        self.problem = problem
        self.expected = expected
    }

    public var description: String {
        var text = source.isEmpty ? "" : source + ": "
        if let format { text += "\(format.rawValue) " }
        text += record
        if let field { text += ", field '\(field)'" }
        return text + ": " + problem + "; expected " + expected
    }

    /// Quotes a non-secret value for a message, truncated so a hostile 100 MB field is not echoed.
    static func quote(_ value: some StringProtocol) -> String {
        let limit = 60
        var text = ""
        for (index, scalar) in value.unicodeScalars.prefix(limit + 1).enumerated() {
            if index == limit {
                text += "…"
                break
            }
            text.unicodeScalars.append(scalar.properties.generalCategory == .control ? "?" : scalar)
        }
        return "'" + text + "'"
    }
}
