/// Infrastructure platforms: HashiCorp Vault and Terraform Cloud, Doppler, DigitalOcean, Heroku,
/// and age encryption keys.
enum InfrastructureDetectors: DetectorFamily {
    static let vaultToken = detector("vault-token", .critical, .structured, "HashiCorp Vault service or batch token (hvs./hvb.…).")
    static let terraformCloudToken = detector("terraform-cloud-token", .critical, .structured, "Terraform Cloud / Enterprise API token (….atlasv1.…).")
    static let dopplerToken = detector("doppler-token", .high, .structured, "Doppler token (dp.pt./dp.st./dp.ct./dp.sa.…); reads synced secrets.")
    static let digitalOceanPAT = detector("digitalocean-pat", .critical, .structured, "DigitalOcean personal access token (dop_v1_…).")
    static let digitalOceanOAuth = detector("digitalocean-oauth-token", .high, .structured, "DigitalOcean OAuth access or refresh token (doo_v1_/dor_v1_…).")
    static let herokuAPIKey = detector("heroku-api-key", .high, .contextual, "Heroku API key (HRKU-… or a UUID assigned to a Heroku setting).")
    static let ageSecretKey = SecretDetector(
        id: "age-secret-key", kind: .privateKey, severity: .critical, specificity: .structured,
        description: "age encryption secret key (AGE-SECRET-KEY-1…), bech32 checksum verified.")

    private static func detector(
        _ id: String, _ severity: SecretSeverity, _ specificity: SecretSpecificity, _ description: String
    ) -> SecretDetector {
        SecretDetector(id: id, kind: .apiToken, severity: severity, specificity: specificity, description: description)
    }

    static var detectors: [SecretDetector] {
        [vaultToken, terraformCloudToken, dopplerToken, digitalOceanPAT, digitalOceanOAuth, herokuAPIKey, ageSecretKey]
    }

    private static let terraformSecretClass = ByteClass("A-Za-z0-9_=-")

    static var anchorRules: [AnchorRule] {
        [
            .token(vaultToken, prefix: "hvs.", body: .base64URL, length: 24...400),
            .token(vaultToken, prefix: "hvb.", body: .base64URL, length: 24...400),
            AnchorRule(".atlasv1.") { input, at in
                guard input.runBackward(of: .alphanumeric, before: at, limit: 15) == 14 else { return nil }
                let secretLength = input.run(of: terraformSecretClass, from: at + 9, limit: 71)
                guard (60...70).contains(secretLength) else { return nil }
                return RuleMatch(terraformCloudToken, start: at - 14, secret: (at - 14)..<(at + 9 + secretLength))
            },
            .token(digitalOceanPAT, prefix: "dop_v1_", body: .lowerHex, length: 64...64),
            .token(digitalOceanOAuth, prefix: "doo_v1_", body: .lowerHex, length: 64...64),
            .token(digitalOceanOAuth, prefix: "dor_v1_", body: .lowerHex, length: 64...64),
            .token(herokuAPIKey, prefix: "HRKU-", body: .base64URL, length: 50...70),
            .token(ageSecretKey, prefix: "AGE-SECRET-KEY-1", body: ByteClass("A-Z0-9"), length: 58...58) {
                Checksums.isValidBech32($0)
            },
        ] + ["dp.pt.", "dp.st.", "dp.ct.", "dp.sa.", "dp.scim.", "dp.audit."].map {
            AnchorRule.token(dopplerToken, prefix: $0, body: .alphanumeric, length: 40...44)
        }
    }

    static var assignmentRules: [AssignmentRule] {
        [AssignmentRule { a in
            guard a.keyContains("heroku"), a.keyContains("key") || a.keyContains("token"), a.valueIsUUID
            else { return nil }
            return a.match(herokuAPIKey)
        }]
    }
}
