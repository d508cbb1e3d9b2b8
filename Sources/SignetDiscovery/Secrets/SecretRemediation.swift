/// What to do about a finding, by kind. Shown as SARIF rule help and in table output, so a
/// developer who meets a finding in a code-scanning UI knows the fix without reading the docs.
extension SecretKind {
    public var remediation: String {
        switch self {
        case .cloudAccessKey:
            "Deactivate and rotate this cloud access key in the provider console, remove it from the file and "
                + "from history, and give the workload a short-lived identity (instance role, workload identity "
                + "federation, or a Signet SVID exchanged for cloud credentials) instead of a static key."
        case .apiToken:
            "Revoke this token at the issuing service, create a replacement with the narrowest scopes, and load "
                + "it at run time from a secret store or environment injected by the platform, never from source."
        case .privateKey:
            "Treat the key as compromised: revoke any certificate issued for it, generate a new key where it is "
                + "used, delete the file from the repository and its history, and keep keys out of source "
                + "(prefer short-lived keys issued by Signet)."
        case .password:
            "Change this password at the service it unlocks, remove it from the file and from history, and read "
                + "credentials from a secret store or injected environment at run time."
        case .jwt:
            "A signed JWT is a bearer credential until it expires: revoke or rotate the signing key or session "
                + "behind it if it is still valid, and remove the token from the file."
        }
    }
}
