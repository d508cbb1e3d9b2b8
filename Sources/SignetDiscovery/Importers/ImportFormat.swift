/// The credential listings `InventoryImporter` understands, named as `signet inventory import
/// --format` spells them.
public enum ImportFormat: String, CaseIterable, Sendable {
    /// `aws iam get-credential-report`, the `Content` base64-decoded: one CSV row per IAM user.
    case awsCredentialReport = "aws-credential-report"
    /// `aws iam get-account-authorization-details`: users, groups, roles and their policies.
    case awsAuthorizationDetails = "aws-authorization-details"
    /// `kubectl get serviceaccounts,secrets -A -o json`.
    case kubernetes = "kubectl"
    /// `GET /orgs/{org}/personal-access-tokens` or `GET /orgs/{org}/credential-authorizations`.
    case githubTokens = "github-tokens"
    /// `spire-server entry show -output json`.
    case spireEntries = "spire-entries"
    /// Signet's generic CSV for anything else (documented in `GenericImportRecord.swift`).
    case csv = "csv"
    /// Signet's generic JSON for anything else (documented in `GenericImportRecord.swift`).
    case json = "json"
}
