/// GitHub and GitLab tokens: source access, and often CI secrets and package publishing with it.
enum SourceControlDetectors: DetectorFamily {
    static let githubPAT = token("github-pat", "GitHub classic personal access token (ghp_…), checksum verified.")
    static let githubOAuth = token("github-oauth-token", "GitHub OAuth access token (gho_…), checksum verified.")
    static let githubUserToServer = token("github-user-to-server-token", "GitHub App user-to-server token (ghu_…), checksum verified.")
    static let githubServerToServer = token("github-server-to-server-token", "GitHub App installation token (ghs_…), checksum verified.")
    static let githubRefresh = token("github-refresh-token", "GitHub App refresh token (ghr_…), checksum verified.")
    static let githubFineGrained = token("github-fine-grained-pat", "GitHub fine-grained personal access token (github_pat_…).")
    static let gitlabPAT = token("gitlab-pat", "GitLab personal, project or group access token (glpat-…).")
    static let gitlabDeployToken = token("gitlab-deploy-token", "GitLab deploy token (gldt-…); reads repositories and registries.")
    static let gitlabRunnerToken = token("gitlab-runner-token", "GitLab runner authentication token (glrt-…).")
    static let gitlabRunnerRegistration = token("gitlab-runner-registration-token", "GitLab runner registration token (GR1348941…).")
    static let gitlabPipelineTrigger = token("gitlab-pipeline-trigger-token", "GitLab pipeline trigger token (glptt-…).")

    private static func token(_ id: String, _ description: String) -> SecretDetector {
        SecretDetector(id: id, kind: .apiToken, severity: .high, specificity: .structured, description: description)
    }

    static var detectors: [SecretDetector] {
        [githubPAT, githubOAuth, githubUserToServer, githubServerToServer, githubRefresh, githubFineGrained,
         gitlabPAT, gitlabDeployToken, gitlabRunnerToken, gitlabRunnerRegistration, gitlabPipelineTrigger]
    }

    static var anchorRules: [AnchorRule] {
        let checksum: @Sendable (UnsafeBufferPointer<UInt8>) -> Bool = {
            Checksums.hasValidPrefixedCRC32($0, prefixLength: 4)
        }
        let github: [(String, SecretDetector)] = [
            ("ghp_", githubPAT), ("gho_", githubOAuth), ("ghu_", githubUserToServer),
            ("ghs_", githubServerToServer), ("ghr_", githubRefresh),
        ]
        let gitlab: [(String, SecretDetector)] = [
            ("glpat-", gitlabPAT), ("gldt-", gitlabDeployToken), ("glrt-", gitlabRunnerToken),
            ("GR1348941", gitlabRunnerRegistration), ("glptt-", gitlabPipelineTrigger),
        ]
        return github.map { AnchorRule.token($0.1, prefix: $0.0, body: .alphanumeric, length: 36...36, check: checksum) }
            + [AnchorRule.token(githubFineGrained, prefix: "github_pat_", body: .word, length: 82...82) { token in
                token[11 + 22] == UInt8(ascii: "_")
            }]
            + gitlab.map { AnchorRule.token($0.1, prefix: $0.0, body: .base64URL, length: 20...64) }
    }
}
