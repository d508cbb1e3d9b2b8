/// One kind of hard-coded secret the scanner knows how to recognise.
///
/// Detectors are plain values so the catalog can be listed (`signet scan --list-detectors`), filtered
/// and serialised; the matching logic lives in the engine's rules, keyed by `id`.
public struct SecretDetector: Sendable, Hashable, Codable, Identifiable {
    /// Stable, kebab-case identifier (`aws-access-key-id`). Used in findings, SARIF rule ids and
    /// suppressions, so it never changes once published.
    public let id: String
    public let kind: SecretKind
    /// Severity of a finding before qualifiers (an encrypted key is reported one step lower).
    public let severity: SecretSeverity
    public let specificity: SecretSpecificity
    /// One sentence saying what was found and why it matters. Never contains a secret.
    public let description: String

    public init(
        id: String, kind: SecretKind, severity: SecretSeverity,
        specificity: SecretSpecificity, description: String
    ) {
        self.id = id
        self.kind = kind
        self.severity = severity
        self.specificity = specificity
        self.description = description
    }
}
