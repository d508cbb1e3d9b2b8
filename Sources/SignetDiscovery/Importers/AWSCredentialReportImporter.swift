import Foundation
import SignetCore

/// Reads the IAM credential report (`aws iam get-credential-report`, `Content` base64-decoded): a
/// CSV with one row per IAM user plus `<root_account>`.
///
/// Items per row:
/// - each access key that exists (`access_key_N_active` true, or false with a `last_rotated` date:
///   an inactive key, status `retired`) as `cloud-access-key`, created at `last_rotated`, last used
///   at `last_used_date` (`never_used=true` when that is `N/A`);
/// - the console password when `password_enabled` is `true` (`password`, created at
///   `password_last_changed`, expiring at `password_next_rotation`). The root row says
///   `not_supported` there, so the root password is not itemised;
/// - each active signing certificate `cert_N` as `x509-certificate` (the report has no facts
///   about it beyond its rotation date).
///
/// The report never shows key ids or certificate bytes, so these items cannot be fingerprinted by
/// their value. Their identity is the slot they occupy: `sha256:` + hex SHA-256 of
/// `aws-access-key:<arn>:<slot>`, `aws-signing-cert:<arn>:<slot>`, `aws-console-password:<arn>`.
/// Re-importing a later report updates the same items; a rotated key in the same slot is therefore
/// the same item with a new `created` date. Every item is located at `account` / the user's ARN
/// and carries `arn`, `account` (from the ARN), `user`, `mfa_active` and, for the root row,
/// `root=true`.
struct AWSCredentialReportImporter {
    /// The report's columns. Positions are resolved once from the header, so reading a row costs
    /// array lookups rather than a string-keyed dictionary per field.
    enum Column: Int, CaseIterable {
        case user, arn, userCreationTime, passwordEnabled, passwordLastUsed, passwordLastChanged, passwordNextRotation
        case mfaActive
        case key1Active, key1LastRotated, key1LastUsedDate, key1LastUsedRegion, key1LastUsedService
        case key2Active, key2LastRotated, key2LastUsedDate, key2LastUsedRegion, key2LastUsedService
        case cert1Active, cert1LastRotated, cert2Active, cert2LastRotated

        var name: String {
            switch self {
            case .user: "user"
            case .arn: "arn"
            case .userCreationTime: "user_creation_time"
            case .passwordEnabled: "password_enabled"
            case .passwordLastUsed: "password_last_used"
            case .passwordLastChanged: "password_last_changed"
            case .passwordNextRotation: "password_next_rotation"
            case .mfaActive: "mfa_active"
            case .key1Active: "access_key_1_active"
            case .key1LastRotated: "access_key_1_last_rotated"
            case .key1LastUsedDate: "access_key_1_last_used_date"
            case .key1LastUsedRegion: "access_key_1_last_used_region"
            case .key1LastUsedService: "access_key_1_last_used_service"
            case .key2Active: "access_key_2_active"
            case .key2LastRotated: "access_key_2_last_rotated"
            case .key2LastUsedDate: "access_key_2_last_used_date"
            case .key2LastUsedRegion: "access_key_2_last_used_region"
            case .key2LastUsedService: "access_key_2_last_used_service"
            case .cert1Active: "cert_1_active"
            case .cert1LastRotated: "cert_1_last_rotated"
            case .cert2Active: "cert_2_active"
            case .cert2LastRotated: "cert_2_last_rotated"
            }
        }

        /// Columns added to the report over the years (password details, key last use) are optional:
        /// older reports lack them.
        var isRequired: Bool {
            switch self {
            case .passwordLastUsed, .passwordLastChanged, .passwordNextRotation, .key1LastUsedDate, .key1LastUsedRegion,
                .key1LastUsedService, .key2LastUsedDate, .key2LastUsedRegion, .key2LastUsedService:
                false
            default: true
            }
        }
    }

    /// The columns describing access key slot 1 or 2.
    struct KeySlot {
        let number: Int
        let active, lastRotated, lastUsedDate, lastUsedRegion, lastUsedService: Column
    }

    static let keySlots = [
        KeySlot(number: 1, active: .key1Active, lastRotated: .key1LastRotated, lastUsedDate: .key1LastUsedDate,
                lastUsedRegion: .key1LastUsedRegion, lastUsedService: .key1LastUsedService),
        KeySlot(number: 2, active: .key2Active, lastRotated: .key2LastRotated, lastUsedDate: .key2LastUsedDate,
                lastUsedRegion: .key2LastUsedRegion, lastUsedService: .key2LastUsedService),
    ]
    static let certificateSlots: [(number: Int, active: Column, lastRotated: Column)] = [
        (1, .cert1Active, .cert1LastRotated), (2, .cert2Active, .cert2LastRotated),
    ]

    static let expectedHeader = "the IAM credential report header (user,arn,user_creation_time,password_enabled,...)"

    /// Whether a CSV header is the credential report's (used to sniff the format).
    static func isHeader(_ fields: [String]) -> Bool {
        let names = Set(fields.map(normalizedColumn))
        return fields.first.map(normalizedColumn) == "user"
            && names.isSuperset(of: ["arn", "password_enabled", "access_key_1_active"])
    }

    static func normalizedColumn(_ name: String) -> String {
        name.trimmingCharacters(in: .whitespaces).lowercased()
    }

    func parse(_ bytes: [UInt8], start: Int, context: inout ImportContext) throws(ImportError) -> ImportOutput {
        var reader = CSVReader(bytes: bytes, start: start)
        guard let header = try reader.next() else {
            throw ImportError(record: "header", problem: "the file is empty", expected: Self.expectedHeader)
        }
        let columns = try Columns(header: header, warnings: &context.warnings)
        var items: [InventoryItem] = []
        var records = 0
        while let record = try reader.next() {
            guard record.fields.count == header.fields.count else {
                throw ImportError(
                    record: "line \(record.line)", problem: "\(record.fields.count) fields",
                    expected: "\(header.fields.count) fields, one per header column")
            }
            records += 1
            try Row(fields: record.fields, line: record.line, columns: columns).items(into: &items, context: context)
        }
        return (items, records)
    }

    /// Column positions, resolved once from the header.
    struct Columns {
        private var positions = [Int?](repeating: nil, count: Column.allCases.count)

        init(header: CSVRecord, warnings: inout ImportWarnings) throws(ImportError) {
            let known = Dictionary(uniqueKeysWithValues: Column.allCases.map { ($0.name, $0) })
            var seen: Set<String> = []
            for (position, raw) in header.fields.enumerated() {
                let name = AWSCredentialReportImporter.normalizedColumn(raw)
                guard seen.insert(name).inserted else {
                    throw ImportError(
                        record: "header", field: name, problem: "the column appears twice", expected: "each column once")
                }
                if let column = known[name] {
                    positions[column.rawValue] = position
                } else {
                    warnings.once(key: "column:" + name, "ignored unknown column '\(name)'")
                }
            }
            for column in Column.allCases where column.isRequired && positions[column.rawValue] == nil {
                throw ImportError(
                    record: "header", field: column.name, problem: "missing column",
                    expected: AWSCredentialReportImporter.expectedHeader)
            }
        }

        subscript(_ column: Column) -> Int? { positions[column.rawValue] }
    }

    /// One report row with typed accessors that fail naming the line and column.
    struct Row {
        let fields: [String]
        let line: Int
        let columns: Columns

        func value(_ column: Column) -> String? { columns[column].map { fields[$0] } }

        func error(_ column: Column, _ problem: String, expected: String) -> ImportError {
            ImportError(record: "line \(line)", field: column.name, problem: problem, expected: expected)
        }

        func flag(_ column: Column) throws(ImportError) -> Bool {
            let text = value(column) ?? ""
            switch text {
            case "true", "TRUE", "True": return true
            case "false", "FALSE", "False": return false
            default: throw error(column, "invalid boolean \(ImportError.quote(text))", expected: "true or false")
            }
        }

        /// A timestamp, or nil for the report's placeholders (`N/A`, `not_supported`, `no_information`).
        func timestamp(_ column: Column) throws(ImportError) -> Date? {
            guard let text = value(column) else { return nil }
            switch text {
            case "", "N/A", "not_supported", "no_information": return nil
            default:
                guard let date = ImportDate.parse(text) else {
                    throw error(
                        column, "invalid timestamp \(ImportError.quote(text))",
                        expected: "an ISO 8601 timestamp (2024-05-01T12:00:00+00:00), N/A, not_supported or no_information")
                }
                return date
            }
        }

        /// A free-text column, nil when the report has no value for it.
        func text(_ column: Column) -> String? {
            guard let text = value(column), !text.isEmpty, text != "N/A", text != "no_information", text != "not_supported"
            else { return nil }
            return text
        }

        func items(into items: inout [InventoryItem], context: ImportContext) throws(ImportError) {
            let user = value(.user) ?? "", arn = value(.arn) ?? ""
            guard !user.isEmpty else { throw error(.user, "empty", expected: "the IAM user name or <root_account>") }
            guard let account = AWSARN.account(arn) else {
                throw error(
                    .arn, "invalid ARN \(ImportError.quote(arn))",
                    expected: "an ARN such as arn:aws:iam::123456789012:user/alice")
            }
            _ = try timestamp(.userCreationTime)
            let mfa = try flag(.mfaActive)
            var base = [String: String](minimumCapacity: 10)
            base["arn"] = arn
            base["account"] = account
            base["user"] = user
            base["mfa_active"] = mfa ? "true" : "false"
            if user == "<root_account>" { base["root"] = "true" }
            let location = [context.account(arn)]

            let passwordEnabled = value(.passwordEnabled) ?? ""
            switch passwordEnabled {
            case "true", "TRUE", "True":
                items.append(InventoryItem(
                    kind: .password, fingerprint: ReferenceFingerprint.of("aws-console-password", arn),
                    detector: context.detector, locations: location, created: try timestamp(.passwordLastChanged),
                    expires: try timestamp(.passwordNextRotation), lastUsed: try timestamp(.passwordLastUsed),
                    name: user + " (console password)", attributes: base))
            case "false", "FALSE", "False", "not_supported":
                _ = try timestamp(.passwordLastUsed)
            default:
                throw error(
                    .passwordEnabled, "invalid value \(ImportError.quote(passwordEnabled))",
                    expected: "true, false or not_supported")
            }

            for slot in AWSCredentialReportImporter.keySlots {
                let active = try flag(slot.active)
                let rotated = try timestamp(slot.lastRotated)
                let lastUsed = try timestamp(slot.lastUsedDate)
                guard active || rotated != nil else { continue }
                var attributes = base
                attributes["key_slot"] = String(slot.number)
                if let service = text(slot.lastUsedService) { attributes["last_used_service"] = service }
                if let region = text(slot.lastUsedRegion) { attributes["last_used_region"] = region }
                if lastUsed == nil, columns[slot.lastUsedDate] != nil { attributes["never_used"] = "true" }
                items.append(InventoryItem(
                    kind: .cloudAccessKey, fingerprint: ReferenceFingerprint.of("aws-access-key", "\(arn):\(slot.number)"),
                    detector: context.detector, locations: location, created: rotated, lastUsed: lastUsed,
                    status: active ? .active : .retired, name: "\(user) (access key \(slot.number))",
                    attributes: attributes))
            }

            for slot in AWSCredentialReportImporter.certificateSlots {
                let active = try flag(slot.active)
                let rotated = try timestamp(slot.lastRotated)
                guard active else { continue }
                var attributes = base
                attributes["cert_slot"] = String(slot.number)
                items.append(InventoryItem(
                    kind: .x509Certificate,
                    fingerprint: ReferenceFingerprint.of("aws-signing-cert", "\(arn):\(slot.number)"),
                    detector: context.detector, locations: location, created: rotated,
                    name: "\(user) (signing certificate \(slot.number))", attributes: attributes))
            }
        }
    }
}

/// Amazon Resource Names: `arn:partition:service:region:account-id:resource`.
enum AWSARN {
    /// The 12-digit account id of an ARN (the fifth field), or nil when `arn` is not an ARN.
    static func account(_ arn: String) -> String? {
        let bytes = Array(arn.utf8)
        var colons: [Int] = []
        for (index, byte) in bytes.enumerated() where byte == UInt8(ascii: ":") {
            colons.append(index)
            if colons.count == 5 { break }
        }
        guard colons.count == 5, bytes.starts(with: Array("arn:".utf8)), colons[1] > colons[0] + 1,
            colons[2] > colons[1] + 1, colons[4] == colons[3] + 13, colons[4] + 1 < bytes.count
        else { return nil }
        let account = bytes[(colons[3] + 1)..<colons[4]]
        guard account.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        return String(decoding: account, as: UTF8.self)
    }
}
