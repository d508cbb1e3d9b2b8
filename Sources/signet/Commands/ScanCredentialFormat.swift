import Foundation
import SignetCore
import SignetDiscovery

/// How `scan path` shows discovered certificates and keys in each output format. Only public facts
/// appear: fingerprints of public keys, names, dates; never key material.
enum ScanCredentialFormat {
    /// The inventory item as JSON (the same snake_case fields as the server's inventory), plus
    /// `posture` (notes such as `weak-key`) and `exposed_paths`.
    static func json(_ credential: DiscoveredCredential) -> [String: Any] {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        var object: [String: Any] = [:]
        if let data = try? encoder.encode(credential.item),
           let decoded = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            object = decoded
        }
        object["posture"] = credential.posture.map(\.rawValue)
        object["exposed_paths"] = credential.exposedPaths
        return object
    }

    /// The second table section: one line per credential.
    static func table(_ credentials: [DiscoveredCredential]) -> String {
        guard !credentials.isEmpty else { return "" }
        let dateFormat = Date.ISO8601FormatStyle().year().month().day()
        var rows = [["KIND", "ALGORITHM", "EXPIRES", "LOCATIONS", "POSTURE"]]
        for credential in credentials {
            let item = credential.item
            let algorithm = [item.algorithm, item.keySize.map { "\($0)" }].compactMap { $0 }.joined(separator: " ")
            var flags = credential.posture.map(\.rawValue)
            if item.encrypted { flags.insert("encrypted", at: 0) }
            let locations = item.locations.map { location in location.line.map { "\(location.target):\($0)" } ?? location.target }
            rows.append([item.kind.rawValue, algorithm.isEmpty ? "-" : algorithm,
                         item.expires.map { $0.formatted(dateFormat) } ?? "-",
                         locations.joined(separator: ", "), flags.isEmpty ? "-" : flags.joined(separator: ", ")])
        }
        var widths = rows[0].map(\.count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        var out = "CREDENTIALS\n"
        for row in rows {
            out += row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }.joined(separator: "  ") + "\n"
        }
        return out + "\n"
    }

    /// Posture notes that become SARIF results, with their rule ids and levels.
    static let sarifNotes: [(CredentialPosture, id: String, level: String, security: String)] = [
        (.weakKey, "weak-key", "error", "7.5"),
        (.weakSignature, "weak-signature", "warning", "5.5"),
        (.expired, "expired-certificate", "error", "7.0"),
        (.expiringSoon, "expiring-certificate", "warning", "4.0"),
        (.worldReadablePrivateKey, "world-readable-private-key", "error", "8.0"),
    ]

    static func sarifRules(firstIndex: Int) -> [[String: Any]] {
        sarifNotes.map { note in
            [
                "id": note.id,
                "name": SARIFReport.ruleName(note.id),
                "shortDescription": ["text": note.0.summary],
                "fullDescription": ["text": note.0.summary],
                "help": ["text": remediation(note.0), "markdown": "**Fix:** " + remediation(note.0)],
                "defaultConfiguration": ["level": note.level],
                "properties": ["tags": ["security", "credential-posture"], "security-severity": note.security] as [String: Any],
            ]
        }
    }

    /// One result per (credential, problem): located at the exposing files for `world-readable-private-key`,
    /// at every sighting otherwise; fingerprinted by the credential's public fingerprint.
    static func sarifResults(
        _ credentials: [DiscoveredCredential], firstIndex: Int, location: (String, Int?) -> [String: Any]
    ) -> [[String: Any]] {
        var results: [[String: Any]] = []
        for credential in credentials {
            let item = credential.item
            for (offset, note) in sarifNotes.enumerated() where credential.posture.contains(note.0) {
                let places: [[String: Any]] = note.0 == .worldReadablePrivateKey
                    ? credential.exposedPaths.map { path in location(path, item.locations.first { $0.target == path }?.line) }
                    : item.locations.map { location($0.target, $0.line) }
                let subject = item.certificate.map { " (\($0.subject))" } ?? ""
                let algorithm = [item.algorithm, item.keySize.map { "\($0) bits" }].compactMap { $0 }.joined(separator: " ")
                results.append([
                    "ruleId": note.id,
                    "ruleIndex": firstIndex + offset,
                    "level": note.level,
                    "message": ["text": "\(note.0.summary) \(item.kind.rawValue)\(subject), \(algorithm), \(item.fingerprint)."],
                    "locations": places,
                    "partialFingerprints": ["credentialFingerprint/v1": item.fingerprint],
                    "properties": ["kind": item.kind.rawValue, "posture": credential.posture.map(\.rawValue)] as [String: Any],
                ])
            }
        }
        return results
    }

    static func remediation(_ note: CredentialPosture) -> String {
        switch note {
        case .weakKey: "Replace the key with RSA 2048+ bits, ECDSA P-256/P-384 or Ed25519, and reissue certificates for it."
        case .weakSignature: "Reissue the certificate signed with SHA-256 or stronger."
        case .expired: "Renew or remove the certificate; anything still presenting it fails validation."
        case .expiringSoon: "Renew the certificate before it expires (or let Signet issue short-lived ones)."
        case .worldReadablePrivateKey: "Restrict the file (chmod 600) and rotate the key if other users could have read it."
        case .selfSigned: "Issue the certificate from a trusted CA."
        }
    }
}
