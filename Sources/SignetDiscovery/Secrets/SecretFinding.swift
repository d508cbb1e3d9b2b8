/// One hard-coded secret at one place.
///
/// A finding deliberately carries no secret value: only a redacted preview (at most the first and
/// last four characters, fewer for short values) and a keyed fingerprint that lets the inventory
/// merge the same credential seen in several places without being able to recover it.
public struct SecretFinding: Sendable, Hashable, Codable {
    public let detectorID: String
    public let kind: SecretKind
    public let severity: SecretSeverity
    public let path: String
    /// 1-based line of the first byte of the evidence (the `-----BEGIN` line for key blocks).
    public let line: Int
    /// 1-based byte column on that line.
    public let column: Int
    /// Redacted preview such as `AKIA…XYZ4`.
    public let preview: String
    /// `hmac-sha256:` + hex of a keyed hash of the (normalised) secret.
    public let fingerprint: String
    public let qualifiers: [SecretQualifier]
    /// The detector's description, repeated so a finding is self-explanatory in JSON output.
    public let description: String
    /// For `scan path --git`: the commit that introduced the blob (``path`` is then the path in the
    /// repository at that commit). Nil for a file on disk.
    public let commit: String?
    /// For `scan path --git`: the repository, named by its `origin` URL (credentials removed) or
    /// its absolute path. Nil for a file on disk.
    public let repository: String?

    public init(
        detectorID: String, kind: SecretKind, severity: SecretSeverity, path: String,
        line: Int, column: Int, preview: String, fingerprint: String,
        qualifiers: [SecretQualifier], description: String, commit: String? = nil, repository: String? = nil
    ) {
        self.detectorID = detectorID
        self.kind = kind
        self.severity = severity
        self.path = path
        self.line = line
        self.column = column
        self.preview = preview
        self.fingerprint = fingerprint
        self.qualifiers = qualifiers
        self.description = description
        self.commit = commit
        self.repository = repository
    }

    /// The same finding, located in a repository's history rather than on disk.
    func inHistory(of repository: String, commit: String) -> SecretFinding {
        SecretFinding(
            detectorID: detectorID, kind: kind, severity: severity, path: path, line: line, column: column,
            preview: preview, fingerprint: fingerprint, qualifiers: qualifiers, description: description,
            commit: commit, repository: repository)
    }
}
