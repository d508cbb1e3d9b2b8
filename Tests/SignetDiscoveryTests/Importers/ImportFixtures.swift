import Crypto
import Foundation
import SignetCore

@testable import SignetDiscovery

/// Shared pieces of the importer tests: a keyed importer, a fixed clock, and independent
/// re-computations of the fingerprints the importers are documented to produce.
enum ImportFixtures {
    static let fingerprinter = SecretFingerprinter(key: Array("importer-test-deployment-key".utf8))
    static let importer = InventoryImporter(fingerprinter: fingerprinter)
    /// 2024-05-10T00:00:00Z.
    static let now = Date(timeIntervalSince1970: 1_715_299_200)

    static func parse(_ text: String, _ format: ImportFormat, source: String = "listing") throws -> ImportResult {
        try importer.parse(Array(text.utf8), format: format, source: source, now: now)
    }

    /// `sha256:` + hex SHA-256 of `text`, computed here rather than through the importer's helper.
    static func sha256(_ text: String) -> String {
        "sha256:" + SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    static func hmac(_ secret: String) -> String {
        let key = SymmetricKey(data: Data("importer-test-deployment-key".utf8))
        return "hmac-sha256:"
            + HMAC<SHA256>.authenticationCode(for: Data(secret.utf8), using: key).map { String(format: "%02x", $0) }.joined()
    }

    static func date(_ iso: String) -> Date {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: iso) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: iso)!
    }

    static func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    /// The thrown `ImportError`, or nil when the parse succeeded or threw something else.
    static func importError(_ text: String, _ format: ImportFormat) -> ImportError? {
        importError(Array(text.utf8), format)
    }

    static func importError(_ bytes: [UInt8], _ format: ImportFormat) -> ImportError? {
        do {
            _ = try importer.parse(bytes, format: format, source: "bad-input", now: now)
            return nil
        } catch let error as ImportError {
            return error
        } catch {
            return nil
        }
    }

    /// The JSON the inventory would store for a result: every item and every warning.
    static func encoded(_ result: ImportResult) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let items = String(decoding: try encoder.encode(result.items), as: UTF8.self)
        return items + "\n" + result.warnings.joined(separator: "\n")
    }
}
