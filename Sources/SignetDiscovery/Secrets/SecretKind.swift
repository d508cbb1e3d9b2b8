/// What sort of credential a detector finds. Mirrors the inventory kinds of issue #5 so a finding
/// can become an inventory item without a translation table.
public enum SecretKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// Long-lived cloud provider credentials (AWS keys, GCP service-account keys, Azure storage keys).
    case cloudAccessKey = "cloud-access-key"
    /// Vendor API keys, personal access tokens, bot tokens, webhook URLs carrying a secret.
    case apiToken = "api-token"
    /// Private-key material (PEM/OpenSSH/PGP/PuTTY blocks).
    case privateKey = "private-key"
    /// Passwords, and connection strings or URLs that embed one.
    case password = "password"
    /// Signed JSON Web Tokens (bearer credentials until they expire).
    case jwt = "jwt"
}

/// How urgently a finding should be handled. Ordered so that `>=` means "at least as severe",
/// which is what a `--fail-on` CI gate needs.
public enum SecretSeverity: Int, Sendable, Hashable, Codable, CaseIterable, Comparable, CustomStringConvertible {
    case low = 1
    case medium = 2
    case high = 3
    case critical = 4

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String {
        switch self {
        case .low: "low"
        case .medium: "medium"
        case .high: "high"
        case .critical: "critical"
        }
    }
}

/// How a detector recognises its secret. Also the tie-breaker when two detectors claim the same
/// bytes: the more specific evidence wins (`password = "ghp_…"` is a GitHub token, not a password).
public enum SecretSpecificity: Int, Sendable, Hashable, Codable, Comparable {
    /// A keyword such as `password=` plus an entropy gate; the weakest evidence.
    case generic = 0
    /// A format that only means "secret" next to a keyword (`AWS_SECRET_ACCESS_KEY=` + 40 base64 chars).
    case contextual = 1
    /// A self-describing format: fixed prefix, length, alphabet, checksum where one exists.
    case structured = 2
    /// A credential document that embeds other secrets (a GCP service-account JSON wraps a PKCS#8 key);
    /// it subsumes the secrets inside it.
    case document = 3

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Facts about one finding that change its risk without changing what it is.
public enum SecretQualifier: String, Sendable, Hashable, Codable {
    /// The private key is encrypted with a passphrase (PKCS#8 EncryptedPrivateKeyInfo, legacy
    /// `Proc-Type: 4,ENCRYPTED` PEM, OpenSSH with a cipher other than `none`, PuTTY with encryption).
    case encrypted
    /// The credential is short-lived by design (AWS `ASIA…` keys come with a session token).
    case temporary
}
