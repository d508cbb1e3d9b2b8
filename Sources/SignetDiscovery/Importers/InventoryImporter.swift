import Foundation
import SignetCore

/// Turns other systems' credential listings into inventory items: IAM credential reports and
/// authorization details, kubectl listings, GitHub token grants, SPIRE entries, and Signet's
/// generic CSV/JSON (see ``ImportFormat`` and each importer's documentation for the mapping and
/// fingerprint scheme).
///
/// An import is all or nothing: a malformed file throws ``ImportError`` naming the line or record,
/// the field and what was expected, and returns no items. Items seen twice in one file (the same
/// certificate in two Secrets) are merged into one item with both locations. Secret values met on
/// the way (Kubernetes Secret data) are only fingerprinted with the deployment's keyed
/// ``SecretFingerprinter`` and previewed by ``SecretPreview``; they never reach the result.
public struct InventoryImporter: Sendable {
    /// Inputs above this size are refused before parsing: listings this large are not credential
    /// inventories, and parsing one would hold several times its size in memory.
    public static let maximumInputSize = 256 << 20

    private let fingerprinter: SecretFingerprinter
    private let parser = CredentialFileParser()

    public init(fingerprinter: SecretFingerprinter) {
        self.fingerprinter = fingerprinter
    }

    /// Parses `data` as `format`. `source` (the file name) names the input in errors and is the
    /// default location of generic-format items; `now` is every location's first sighting.
    /// Throws ``ImportError`` (and only that) for malformed or oversized input.
    public func parse(_ data: [UInt8], format: ImportFormat, source: String, now: Date) throws -> ImportResult {
        do {
            return try parseTyped(data, format: format, source: source, now: now)
        } catch {
            var error = error
            error.source = source
            error.format = format
            throw error
        }
    }

    private func parseTyped(
        _ data: [UInt8], format: ImportFormat, source: String, now: Date
    ) throws(ImportError) -> ImportResult {
        guard data.count <= Self.maximumInputSize else {
            throw ImportError(
                record: "input", problem: "\(data.count) bytes is larger than the \(Self.maximumInputSize >> 20) MiB limit",
                expected: "an input of at most \(Self.maximumInputSize >> 20) MiB (split the listing)")
        }
        let start = Self.bodyStart(data)
        var context = ImportContext(source: source, now: now, fingerprinter: fingerprinter, format: format)
        let result: ImportOutput
        switch format {
        case .awsCredentialReport:
            result = try AWSCredentialReportImporter().parse(data, start: start, context: &context)
        case .csv:
            result = try GenericImporter().parseCSV(data, start: start, context: &context)
        case .awsAuthorizationDetails:
            let root = try JSONNode.parse(data[start...], expected: AWSAuthorizationDetailsImporter.expected)
            result = try AWSAuthorizationDetailsImporter().parse(root, context: &context)
        case .kubernetes:
            let root = try JSONNode.parse(data[start...], expected: KubernetesImporter.expected)
            result = try KubernetesImporter(parser: parser).parse(root, context: &context)
        case .githubTokens:
            let root = try JSONNode.parse(data[start...], expected: GitHubTokenImporter.expected)
            result = try GitHubTokenImporter().parse(root, context: &context)
        case .spireEntries:
            let root = try JSONNode.parse(data[start...], expected: SPIREEntryImporter.expected)
            result = try SPIREEntryImporter().parse(root, context: &context)
        case .json:
            let root = try JSONNode.parse(data[start...], expected: GenericImporter.expectedJSON)
            result = try GenericImporter().parseJSON(root, context: &context)
        }
        return ImportResult(
            items: Self.merged(result.items), warnings: context.warnings.messages, recordsRead: result.records)
    }

    /// Recognises a listing by its shape: the credential report's header, a kubectl `List`, SPIRE's
    /// `{"entries": [...]}`, IAM's `UserDetailList`..., GitHub's token fields, or the generic
    /// format's `kind` column/field. Nil when nothing matches (or the input is too large to sniff).
    public static func detectFormat(_ data: [UInt8]) -> ImportFormat? {
        guard data.count <= maximumInputSize else { return nil }
        var start = bodyStart(data)
        while start < data.count, [0x20, 0x09, 0x0A, 0x0D].contains(data[start]) { start += 1 }
        guard start < data.count else { return nil }
        if data[start] == UInt8(ascii: "{") || data[start] == UInt8(ascii: "[") {
            guard let value = try? JSONValue.parse(data[start...]) else { return nil }
            return detectJSON(value)
        }
        var reader = CSVReader(bytes: data, start: start)
        guard let header = try? reader.next() else { return nil }
        if AWSCredentialReportImporter.isHeader(header.fields) { return .awsCredentialReport }
        if GenericImporter.isHeader(header.fields) { return .csv }
        return nil
    }

    private static func detectJSON(_ value: JSONValue) -> ImportFormat? {
        if let object = value.objectValue {
            if KubernetesImporter.looksLike(object) { return .kubernetes }
            if AWSAuthorizationDetailsImporter.looksLike(object) { return .awsAuthorizationDetails }
            if SPIREEntryImporter.looksLike(object) { return .spireEntries }
            if let items = object["items"]?.arrayValue, isGenericList(items) { return .json }
            return nil
        }
        guard let elements = value.arrayValue else { return nil }
        if let first = elements.first?.objectValue,
            GitHubTokenImporter.isFineGrained(first) || GitHubTokenImporter.isAuthorization(first) {
            return .githubTokens
        }
        return isGenericList(elements) ? .json : nil
    }

    private static func isGenericList(_ elements: [JSONValue]) -> Bool {
        guard let first = elements.first else { return true }
        return first.objectValue?["kind"]?.stringValue.flatMap(InventoryItem.Kind.init(rawValue:)) != nil
    }

    /// The offset after a UTF-8 byte order mark, which spreadsheet exports and PowerShell prepend.
    static func bodyStart(_ data: [UInt8]) -> Int {
        data.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
    }

    /// Merges items with the same id (same kind and fingerprint), keeping first-appearance order.
    /// Most listings have no duplicates; they are returned as they are, without copying 100 000 items.
    static func merged(_ items: [InventoryItem]) -> [InventoryItem] {
        var ids = Set<String>(minimumCapacity: items.count)
        guard !items.allSatisfy({ ids.insert($0.id).inserted }) else { return items }
        var positions: [String: Int] = [:]
        positions.reserveCapacity(items.count)
        var result: [InventoryItem] = []
        result.reserveCapacity(items.count)
        for item in items {
            if let position = positions[item.id] {
                result[position].merge(item)
            } else {
                positions[item.id] = result.count
                result.append(item)
            }
        }
        return result
    }
}
