import Foundation
import SignetDiscovery
import SignetDiscoveryCorpus

/// Shared fixtures: a scanner keyed with a fixed test key, and temporary directories.
enum TestSupport {
    static let fingerprinter = SecretFingerprinter(key: Array("test-deployment-key".utf8))
    static let scanner = SecretScanner(fingerprinter: fingerprinter)

    static func scan(_ text: String, path: String = "config/.env") -> [SecretFinding] {
        scanner.scan(Array(text.utf8), path: path)
    }

    static func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("signet-discovery-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
