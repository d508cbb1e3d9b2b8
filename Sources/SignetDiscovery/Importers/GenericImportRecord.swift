import Foundation
import SignetCore

/// Signet's generic import format, for credentials no dedicated importer knows, as CSV (a header
/// row, then one credential per row) or JSON (an array of objects, or `{"items": [...]}`).
///
/// | field | required | meaning |
/// |---|---|---|
/// | `kind` | yes | an inventory kind: `x509-certificate`, `private-key`, `ssh-key`, `ssh-certificate`, `api-token`, `cloud-access-key`, `kubernetes-service-account`, `kubernetes-token`, `jwt-signing-trust`, `signet-entry`, `password`, `pkcs12` |
/// | `fingerprint` (or `id_hint`) | unless `reference` | `sha256:<64 hex>` or `hmac-sha256:<64 hex>`, as Signet computes them |
/// | `reference` | unless `fingerprint` | any stable identifier (a vault path, a ticket); the fingerprint becomes `sha256:` + SHA-256 of `generic:<reference>` |
/// | `name`, `owner`, `purpose`, `environment`, `algorithm` | no | free text |
/// | `created`, `expires`, `last_used` | no | ISO 8601 (`2024-05-01T12:00:00Z`) or a date (`2024-05-01`, midnight UTC) |
/// | `key_size` | no | a positive integer (bits) |
/// | `location` | no | `type:target`, type one of `file`, `git`, `tls`, `account`, `import` (e.g. `account:prod-db`); default `import:<file name>` |
/// | `privileges` | no | CSV: `;`-separated; JSON: an array of strings (or a `;`-separated string) |
/// | `status` | no | `active` (default), `revoked`, `expired`, `retired` |
///
/// Never put secret values in the file: there is no field for one, and unknown columns are
/// ignored (with one warning per column). An empty CSV cell or a JSON `null` is the same as an
/// absent field. Items are marked with detector `import:csv` / `import:json`; an owner given here
/// has owner source `source`.
struct GenericImportRecord {
    static let fields: Set<String> = [
        "kind", "name", "fingerprint", "id_hint", "reference", "owner", "purpose", "environment", "created", "expires",
        "last_used", "algorithm", "key_size", "location", "privileges", "status",
    ]
    static let locationTypes: Set<String> = ["file", "git", "tls", "account", "import"]
    /// `signet-svid` items are Signet's own issued credentials: the server records those itself.
    static let kinds =
        "one of " + InventoryItem.Kind.allCases.filter { $0 != .signetSVID }.map(\.rawValue).joined(separator: ", ")

    enum Value {
        case text(String)
        case list([String])
    }

    var values: [String: Value]
    /// `line 4` or `items[3]`.
    var record: String

    func error(_ field: String, _ problem: String, expected: String) -> ImportError {
        ImportError(record: record, field: field, problem: problem, expected: expected)
    }

    func text(_ field: String) throws(ImportError) -> String? {
        switch values[field] {
        case .text(let text)?:
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            return trimmed.isEmpty ? nil : trimmed
        case .list?: throw error(field, "a list", expected: "a single value")
        case nil: return nil
        }
    }

    func date(_ field: String) throws(ImportError) -> Date? {
        guard let text = try text(field) else { return nil }
        guard let date = ImportDate.parse(text) else {
            throw error(
                field, "invalid date \(ImportError.quote(text))", expected: "ISO 8601 (2024-05-01T12:00:00Z) or yyyy-mm-dd")
        }
        return date
    }

    func item(context: ImportContext) throws(ImportError) -> InventoryItem {
        guard let kindText = try text("kind") else {
            throw error("kind", "missing", expected: Self.kinds)
        }
        guard let kind = InventoryItem.Kind(rawValue: kindText.lowercased()), kind != .signetSVID else {
            throw error("kind", "unknown kind \(ImportError.quote(kindText))", expected: Self.kinds)
        }
        let fingerprint: String
        let reference = try text("reference")
        let field = try text("fingerprint") != nil ? "fingerprint" : "id_hint"
        if let given = try text(field) {
            guard let normalized = Self.fingerprint(given) else {
                throw error(field, "invalid fingerprint \(ImportError.quote(given))",
                            expected: "sha256:<64 hex digits> or hmac-sha256:<64 hex digits>")
            }
            fingerprint = normalized
        } else if let reference {
            fingerprint = ReferenceFingerprint.of("generic", reference)
        } else {
            throw error("fingerprint", "neither fingerprint nor reference given",
                        expected: "a fingerprint (sha256:<hex>) or a reference to derive one from")
        }

        var keySize: Int?
        if let text = try text("key_size") {
            guard let bits = Int(text), bits > 0 else {
                throw error(
                    "key_size", "invalid key size \(ImportError.quote(text))",
                    expected: "a positive integer number of bits")
            }
            keySize = bits
        }

        var location = context.account(context.source)
        location.type = "import"
        if let text = try text("location") {
            guard let colon = text.firstIndex(of: ":"), Self.locationTypes.contains(String(text[..<colon])),
                text.index(after: colon) < text.endIndex
            else {
                throw error("location", "invalid location \(ImportError.quote(text))",
                            expected: "type:target with type one of " + Self.locationTypes.sorted().joined(separator: ", "))
            }
            location.type = String(text[..<colon])
            location.target = String(text[text.index(after: colon)...])
        }

        var privileges: [String]
        switch values["privileges"] {
        case .list(let list)?: privileges = list
        case .text(let text)?: privileges = text.split(separator: ";").map(String.init)
        case nil: privileges = []
        }
        privileges = privileges.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }

        var status = InventoryItem.Status.active
        if let text = try text("status") {
            guard let parsed = InventoryItem.Status(rawValue: text.lowercased()) else {
                throw error(
                    "status", "unknown status \(ImportError.quote(text))", expected: "active, revoked, expired or retired")
            }
            status = parsed
        }

        var attributes: [String: String] = [:]
        if let reference { attributes["reference"] = reference }
        return InventoryItem(
            kind: kind, fingerprint: fingerprint, detector: context.detector, locations: [location],
            owner: try text("owner"), purpose: try text("purpose"), environment: try text("environment"),
            created: try date("created"), expires: try date("expires"), lastUsed: try date("last_used"),
            algorithm: try text("algorithm"), keySize: keySize, privileges: privileges, status: status,
            name: try text("name"), attributes: attributes)
    }

    /// `sha256:` / `hmac-sha256:` followed by 64 hex digits, lower-cased; nil for anything else.
    static func fingerprint(_ text: String) -> String? {
        let lowered = text.lowercased()
        for prefix in ["sha256:", "hmac-sha256:"] where lowered.hasPrefix(prefix) {
            let hex = lowered.dropFirst(prefix.count)
            let isHexDigit = { (byte: UInt8) in (0x30...0x39).contains(byte) || (0x61...0x66).contains(byte) }
            guard hex.utf8.count == 64, hex.utf8.allSatisfy(isHexDigit) else { return nil }
            return lowered
        }
        return nil
    }
}

/// The generic format's two encodings.
struct GenericImporter {
    static let expectedHeader = "a header row naming the generic import columns (kind, name, fingerprint or reference, ...)"
    static let expectedJSON = "a JSON array of credential objects, or {\"items\": [...]}"

    /// Whether a CSV header is the generic format's.
    static func isHeader(_ fields: [String]) -> Bool {
        let names = Set(fields.map(AWSCredentialReportImporter.normalizedColumn))
        return names.contains("kind") && !names.isDisjoint(with: ["fingerprint", "id_hint", "reference"])
    }

    func parseCSV(_ bytes: [UInt8], start: Int, context: inout ImportContext) throws(ImportError) -> ImportOutput {
        var reader = CSVReader(bytes: bytes, start: start)
        guard let header = try reader.next() else {
            throw ImportError(record: "header", problem: "the file is empty", expected: Self.expectedHeader)
        }
        var columns: [(position: Int, name: String)] = []
        var seen: Set<String> = []
        for (position, raw) in header.fields.enumerated() {
            let name = AWSCredentialReportImporter.normalizedColumn(raw)
            guard seen.insert(name).inserted else {
                throw ImportError(
                    record: "header", field: name, problem: "the column appears twice", expected: "each column once")
            }
            if GenericImportRecord.fields.contains(name) {
                columns.append((position, name))
            } else {
                context.warnings.once(key: "column:" + name, "ignored unknown column '\(name)'")
            }
        }
        guard seen.contains("kind") else {
            throw ImportError(record: "header", field: "kind", problem: "missing column", expected: Self.expectedHeader)
        }
        guard !seen.isDisjoint(with: ["fingerprint", "id_hint", "reference"]) else {
            throw ImportError(
                record: "header", field: "fingerprint", problem: "no fingerprint, id_hint or reference column",
                expected: Self.expectedHeader)
        }
        var items: [InventoryItem] = []
        var records = 0
        while let row = try reader.next() {
            guard row.fields.count == header.fields.count else {
                throw ImportError(record: "line \(row.line)", problem: "\(row.fields.count) fields",
                                  expected: "\(header.fields.count) fields, one per header column")
            }
            records += 1
            var values: [String: GenericImportRecord.Value] = [:]
            for column in columns { values[column.name] = .text(row.fields[column.position]) }
            items.append(try GenericImportRecord(values: values, record: "line \(row.line)").item(context: context))
        }
        return (items, records)
    }

    func parseJSON(_ root: JSONNode, context: inout ImportContext) throws(ImportError) -> ImportOutput {
        let elements: [JSONNode]
        if let array = root.value.arrayValue {
            elements = array.enumerated().map { JSONNode($1, path: "[\($0)]") }
        } else if root.object?["items"]?.arrayValue != nil {
            elements = try root.array("items").enumerated().map { JSONNode($1.value, path: "items[\($0)]") }
        } else {
            throw root.error(nil, "neither an array nor an object with an items array", expected: Self.expectedJSON)
        }
        var items: [InventoryItem] = []
        for element in elements {
            let object = try element.requireObject("a credential object")
            var values: [String: GenericImportRecord.Value] = [:]
            for (key, value) in object {
                guard GenericImportRecord.fields.contains(key) else {
                    context.warnings.once(key: "field:" + key, "ignored unknown field '\(key)'")
                    continue
                }
                switch value {
                case .null: continue
                case .string(let text): values[key] = .text(text)
                case .number(let number) where number == number.rounded(.towardZero) && abs(number) < 1e15:
                    values[key] = .text(String(Int64(number)))
                case .array(let list) where key == "privileges" || key == "location":
                    var strings: [String] = []
                    for entry in list {
                        guard let text = entry.stringValue else {
                            throw element.error(key, "an array element is not a string", expected: "an array of strings")
                        }
                        strings.append(text)
                    }
                    values[key] = key == "location" && strings.count == 1 ? .text(strings[0]) : .list(strings)
                default:
                    let expected = key == "privileges" ? "an array of strings" : "a string"
                    throw element.error(key, "unsupported JSON value", expected: expected)
                }
            }
            items.append(try GenericImportRecord(values: values, record: element.record).item(context: context))
        }
        return (items, elements.count)
    }
}
