/// Keyword assignments (`password=`, `secret:`, `api_key =`, `token:`) gated by entropy.
///
/// These catch the long tail of vendors without a recognisable token format. To stay precise
/// they require the keyword at the *end* of the key (`db_password`, not `password_file`), reject
/// placeholders and template references, ignore unquoted right-hand sides in source code (those
/// are expressions), and require the value to look generated rather than typed.
enum GenericDetectors: DetectorFamily {
    static let password = detector("generic-password", .password, "Hard-coded password assigned to a password setting.")
    static let secret = detector("generic-secret", .apiToken, "Hard-coded secret assigned to a secret setting.")
    static let apiKey = detector("generic-api-key", .apiToken, "Hard-coded API or access key assigned to a key setting.")
    static let token = detector("generic-token", .apiToken, "Hard-coded token assigned to a token setting.")

    private static func detector(_ id: String, _ kind: SecretKind, _ description: String) -> SecretDetector {
        SecretDetector(id: id, kind: kind, severity: .medium, specificity: .generic, description: description)
    }

    static var detectors: [SecretDetector] { [password, secret, apiKey, token] }

    /// Vendor prefixes whose formats have their own validators (often a checksum). A value carrying
    /// one that its own rule rejected is a fake or truncated token, not a generic secret.
    private static let vendorPrefixes: [[UInt8]] = [
        "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "npm_", "glpat-", "gldt-", "glrt-", "xox", "xapp-",
        "sk_live_", "rk_live_", "sk_test_", "pk_live_", "pk_test_", "akia", "asia", "aiza", "sg.", "hvs.", "hvb.",
        "dop_v1_", "doo_v1_", "shpat_", "shpss_", "pypi-", "age-secret-key-", "sk-",
    ].map { Array($0.utf8) }

    private static let pathSuffixes: [[UInt8]] = [
        ".pem", ".key", ".crt", ".json", ".txt", ".yaml", ".yml", ".p12", ".pfx", ".jks", ".env", ".conf",
    ].map { Array($0.utf8) }

    static var assignmentRules: [AssignmentRule] {
        [AssignmentRule { a in
            let detector: SecretDetector
            let minimumLength: Int
            let minimumEntropy: Double
            if a.keyHasSuffix("password") || a.keyHasSuffix("passwd") || a.keyHasSuffix("pwd")
                || a.keyHasSuffix("pass") || a.keyHasSuffix("passphrase") {
                (detector, minimumLength, minimumEntropy) = (password, 8, 2.5)
            } else if a.keyHasSuffix("apikey") || a.keyHasSuffix("accesskey") || a.keyHasSuffix("secretkey")
                        || a.keyHasSuffix("privatekey") || a.keyHasSuffix("signingkey") || a.keyHasSuffix("encryptionkey")
                        || a.keyHasSuffix("masterkey") || a.keyHasSuffix("authkey") || a.keyHasSuffix("clientkey")
                        || a.keyContains("secretkey") {
                (detector, minimumLength, minimumEntropy) = (apiKey, 16, 3.0)
            } else if a.keyHasSuffix("secret") || a.keyHasSuffix("credential") || a.keyHasSuffix("credentials") {
                (detector, minimumLength, minimumEntropy) = (secret, 12, 3.0)
            } else if a.keyHasSuffix("token") {
                (detector, minimumLength, minimumEntropy) = (token, 16, 3.0)
            } else {
                return nil
            }
            guard a.quoted || a.input.fileKind == .configuration, a.valueLength >= minimumLength,
                  looksLiteral(a), !a.valueIsPlaceholder,
                  Entropy.characterClasses(a.valueBytes) >= 2, a.valueEntropy >= minimumEntropy else { return nil }
            return a.match(detector)
        }]
    }

    /// Rejects values that are references, paths, URLs or prose rather than a literal secret.
    private static func looksLiteral(_ a: Assignment) -> Bool {
        let value = a.valueBytes
        if value.contains(UInt8(ascii: " ")) || value.contains(UInt8(ascii: "(")) { return false }
        if value.first == UInt8(ascii: "/") || value.first == UInt8(ascii: "~") || value.first == UInt8(ascii: ".") { return false }
        if a.input.firstIndex(of: Array("://".utf8), from: a.value.lowerBound, to: a.value.upperBound) != nil { return false }
        let lower = value.map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }
        for prefix in vendorPrefixes where lower.count >= prefix.count && lower.prefix(prefix.count).elementsEqual(prefix) {
            return false
        }
        for suffix in pathSuffixes where lower.count > suffix.count && lower.suffix(suffix.count).elementsEqual(suffix) {
            return false
        }
        // `settings.SECRET_KEY`, `config.api.token`: dotted identifiers are references.
        if value.contains(UInt8(ascii: ".")), value.allSatisfy(ByteClass("A-Za-z_.").contains) { return false }
        if value.allSatisfy(ByteClass.digits.contains) { return false }
        return true
    }
}
