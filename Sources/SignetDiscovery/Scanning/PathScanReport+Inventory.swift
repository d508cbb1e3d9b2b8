import Foundation
import SignetCore

extension PathScanReport {
    /// The scan as inventory items: what the CLI uploads to the server inventory.
    ///
    /// Secret findings become one item per fingerprint (the same secret in ten files is one
    /// credential with ten locations): a file finding is located `file` / path / line / column, a
    /// `--git` finding `git` / repository / line / column / commit (with the repository also in
    /// `attributes["repository"]`). The kind follows the detector's `SecretKind` (see
    /// `inventoryKind(for:)`), `preview` and `detector` come from the most severe sighting, and an
    /// item seen only in test or example files is noted `test-file` so findings can weigh it down.
    /// A private-key block that was also parsed as a credential is left to the credential's item:
    /// one key, one item, with its algorithm and size.
    ///
    /// Credentials (certificates, keys, PKCS#12) are included as found, noted `world-readable`
    /// when a file holding private-key material is readable by group or others. Secret items come
    /// first, in the order of their first finding, then credentials in report order.
    public func inventoryItems(now: Date) -> [InventoryItem] {
        var parsedKeyLocations: Set<LocationKey> = []
        var credentialItems: [InventoryItem] = []
        for credential in credentials {
            var item = credential.item
            if !credential.exposedPaths.isEmpty, !item.notes.contains(Self.worldReadableNote) {
                item.notes.append(Self.worldReadableNote)
            }
            if item.kind == .privateKey || item.kind == .sshKey {
                for location in item.locations { parsedKeyLocations.insert(LocationKey(location)) }
            }
            credentialItems.append(item)
        }

        var order: [String] = []
        var groups: [String: [SecretFinding]] = [:]
        for finding in findings {
            if finding.kind == .privateKey, parsedKeyLocations.contains(LocationKey(Self.location(of: finding, now: now))) {
                continue
            }
            if groups[finding.fingerprint] == nil { order.append(finding.fingerprint) }
            groups[finding.fingerprint, default: []].append(finding)
        }
        let secretItems = order.compactMap { fingerprint in groups[fingerprint].flatMap { Self.item(for: $0, now: now) } }
        return secretItems + credentialItems
    }

    /// Set on items whose private-key file is readable by group or others.
    public static let worldReadableNote = "world-readable"
    /// Set on items seen only in test, fixture or example files.
    public static let testFileNote = "test-file"

    /// The inventory kind of a finding: cloud keys, passwords (and connection strings, which the
    /// detectors class as passwords) and private-key blocks keep their kind; a JWT is an API token
    /// unless it is plainly a Kubernetes service-account token; everything else is an API token.
    public static func inventoryKind(for finding: SecretFinding) -> InventoryItem.Kind {
        switch finding.kind {
        case .cloudAccessKey: .cloudAccessKey
        case .password: .password
        case .privateKey: .privateKey
        case .jwt: isKubernetesServiceAccountToken(finding) ? .kubernetesToken : .apiToken
        case .apiToken: .apiToken
        }
    }

    /// A token detector that names Kubernetes, or a JWT in a service-account token file
    /// (`/var/run/secrets/kubernetes.io/serviceaccount/token`, a `serviceaccount` directory). A
    /// finding keeps no secret value, so the token's claims cannot be read here: a JWT elsewhere,
    /// even in a kubeconfig (where it may be an OIDC token), stays an API token.
    static func isKubernetesServiceAccountToken(_ finding: SecretFinding) -> Bool {
        let detector = finding.detectorID.lowercased()
        if detector.contains("kubernetes") || detector.contains("k8s") { return true }
        let components = finding.path.lowercased().split(separator: "/")
        return components.dropLast().contains { $0 == "serviceaccount" || $0 == "serviceaccounts" }
    }

    /// Whether a path is a test, fixture or example file: a directory such as `test/`, `spec/`,
    /// `fixtures/`, `examples/`, or a name such as `test_db.py`, `db_test.go`, `app.spec.ts`,
    /// `DBTests.swift`, `.env.example`, `config.sample.yml`. Secrets there are often fakes, but not
    /// always, so they are noted, never dropped.
    public static func isTestOrExamplePath(_ path: String) -> Bool {
        let components = path.split(separator: "/")
        guard let name = components.last else { return false }
        if components.dropLast().contains(where: { testDirectories.contains($0.lowercased()) }) { return true }
        let lower = name.lowercased()
        let segments = lower.split(separator: ".")
        if segments.contains(where: { exampleSegments.contains(String($0)) }) { return true }
        let stem = segments.first.map(String.init) ?? lower
        if stem.hasPrefix("test_") || stem.hasPrefix("test-") || stem == "test" || stem == "tests" { return true }
        if ["_test", "-test", "_tests", "-tests", "_spec", "-spec"].contains(where: stem.hasSuffix) { return true }
        if segments.dropFirst().contains(where: { $0 == "test" || $0 == "spec" }) { return true }  // app.test.ts
        let originalStem = name.split(separator: ".").first.map(String.init) ?? String(name)
        return originalStem.count > 4 && (originalStem.hasSuffix("Tests") || originalStem.hasSuffix("Test") || originalStem.hasSuffix("Spec"))
    }

    private static let testDirectories: Set<String> = [
        "test", "tests", "__tests__", "testing", "testdata", "test-data", "test_data", "spec", "specs", "fixture",
        "fixtures", "__fixtures__", "example", "examples", "sample", "samples", "mock", "mocks", "__mocks__",
    ]
    private static let exampleSegments: Set<String> = ["example", "examples", "sample", "samples", "template"]

    // MARK: - Building items

    private static func item(for sightings: [SecretFinding], now: Date) -> InventoryItem? {
        guard let representative = sightings.max(by: { $0.severity < $1.severity }) else { return nil }
        let kind = inventoryKind(for: representative)
        var item = InventoryItem(
            kind: kind, fingerprint: representative.fingerprint, preview: representative.preview,
            detector: representative.detectorID, locations: [],
            encrypted: sightings.allSatisfy { $0.qualifiers.contains(.encrypted) })
        for finding in sightings {
            var sighting = InventoryItem(kind: kind, fingerprint: finding.fingerprint, locations: [location(of: finding, now: now)])
            if let repository = finding.repository { sighting.attributes["repository"] = repository }
            item.merge(sighting)
        }
        item.encrypted = sightings.allSatisfy { $0.qualifiers.contains(.encrypted) }
        if sightings.allSatisfy({ isTestOrExamplePath($0.path) }) { item.notes.append(testFileNote) }
        return item
    }

    /// A git location's target: the repository, then the path inside it (`https://github.com/acme/app/src/db.py`),
    /// so one place in history reads as one string and repository ownership rules still match its prefix.
    public static func gitTarget(repository: String, path: String) -> String {
        repository.hasSuffix("/") ? repository + path : repository + "/" + path
    }

    private static func location(of finding: SecretFinding, now: Date) -> InventoryItem.Location {
        if let repository = finding.repository {
            return InventoryItem.Location(
                type: "git", target: gitTarget(repository: repository, path: finding.path), line: finding.line,
                column: finding.column, commit: finding.commit,
                firstSeen: now)
        }
        return InventoryItem.Location(type: "file", target: finding.path, line: finding.line, column: finding.column, firstSeen: now)
    }

    /// What makes two locations the same place (as `InventoryItem.merge` compares them).
    private struct LocationKey: Hashable {
        let type: String
        let target: String
        let line: Int?
        let commit: String?

        init(_ location: InventoryItem.Location) {
            type = location.type
            target = location.target
            line = location.line
            commit = location.commit
        }
    }
}
