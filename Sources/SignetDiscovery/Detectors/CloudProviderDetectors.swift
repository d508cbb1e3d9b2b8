/// AWS, Google Cloud and Azure credentials: the keys with the largest blast radius.
enum CloudProviderDetectors: DetectorFamily {
    static let awsAccessKeyID = SecretDetector(
        id: "aws-access-key-id", kind: .cloudAccessKey, severity: .critical, specificity: .structured,
        description: "AWS access key id (AKIA/ASIA…); half of an AWS credential pair and proof one exists nearby.")
    static let awsSecretAccessKey = SecretDetector(
        id: "aws-secret-access-key", kind: .cloudAccessKey, severity: .critical, specificity: .contextual,
        description: "AWS secret access key assigned to an AWS credential setting; grants API access as its IAM user.")
    static let awsSessionToken = SecretDetector(
        id: "aws-session-token", kind: .cloudAccessKey, severity: .high, specificity: .contextual,
        description: "AWS STS session token; short-lived but usable until it expires.")
    static let gcpServiceAccount = SecretDetector(
        id: "gcp-service-account", kind: .cloudAccessKey, severity: .critical, specificity: .document,
        description: "Google Cloud service-account key file (JSON with type service_account and an embedded private key).")
    static let gcpAPIKey = SecretDetector(
        id: "gcp-api-key", kind: .apiToken, severity: .high, specificity: .structured,
        description: "Google API key (AIza…); bills and authorises calls to the enabled Google APIs.")
    static let gcpOAuthClientSecret = SecretDetector(
        id: "gcp-oauth-client-secret", kind: .apiToken, severity: .high, specificity: .structured,
        description: "Google OAuth client secret (GOCSPX-…); lets anyone impersonate the OAuth application.")
    static let azureStorageAccountKey = SecretDetector(
        id: "azure-storage-account-key", kind: .cloudAccessKey, severity: .critical, specificity: .contextual,
        description: "Azure storage account key (AccountKey=… in a connection string); full control of the account's data.")
    static let azureClientSecret = SecretDetector(
        id: "azure-client-secret", kind: .cloudAccessKey, severity: .critical, specificity: .contextual,
        description: "Azure AD / Entra ID application client secret; authenticates as the service principal.")

    static var detectors: [SecretDetector] {
        [awsAccessKeyID, awsSecretAccessKey, awsSessionToken, gcpServiceAccount, gcpAPIKey,
         gcpOAuthClientSecret, azureStorageAccountKey, azureClientSecret]
    }

    /// Characters Azure uses in generated client secrets.
    private static let azureSecretClass = ByteClass("A-Za-z0-9_~.-")

    static var anchorRules: [AnchorRule] {
        // Access key ids are AKIA/ASIA/ABIA/ACCA + 16 base32 characters.
        ["AKIA", "ABIA", "ACCA"].map {
            AnchorRule.token(awsAccessKeyID, prefix: $0, body: .upperBase32, length: 16...16)
        } + [
            AnchorRule.token(awsAccessKeyID, prefix: "ASIA", body: .upperBase32, length: 16...16, qualifiers: [.temporary]),
            // STS tokens are base64 protobuf; modern ones start with the encoding of "\x21\n\torigin_ec",
            // older ones with "FwoGZXIvYXdzE" ("\x17\n\x06\x65r/aws").
            AnchorRule.token(awsSessionToken, prefix: "IQoJb3JpZ2luX2Vj", body: ByteClass("A-Za-z0-9+/="), length: 100...4000),
            AnchorRule.token(awsSessionToken, prefix: "FwoGZXIvYXdzE", body: ByteClass("A-Za-z0-9+/="), length: 100...4000),
            AnchorRule.token(gcpAPIKey, prefix: "AIza", body: .base64URL, length: 35...35),
            AnchorRule.token(gcpOAuthClientSecret, prefix: "GOCSPX-", body: .base64URL, length: 28...28),
            // Entra ID secrets issued since 2020: 3 characters, a digit, "Q~", then 31-34 characters.
            AnchorRule("Q~") { input, at in
                guard ByteClass.digits.contains(input.byte(at - 1)) else { return nil }
                let head = input.runBackward(of: azureSecretClass, before: at - 1, limit: 4)
                guard head == 3 else { return nil }
                let tail = input.run(of: azureSecretClass, from: at + 2, limit: 35)
                guard (31...34).contains(tail) else { return nil }
                let range = (at - 4)..<(at + 2 + tail)
                return RuleMatch(azureClientSecret, start: range.lowerBound, secret: range)
            },
        ]
    }

    static var assignmentRules: [AssignmentRule] {
        [
            AssignmentRule { a in
                guard a.keyIs("type"), a.valueIs("service_account") else { return nil }
                return serviceAccountKey(around: a)
            },
            AssignmentRule { a in
                let awsKey = (a.keyContains("aws") && a.keyContains("secret")) || a.keyContains("secretaccesskey")
                    || a.keyIs("secretkey")
                guard awsKey, a.valueLength == 40, a.valueAll(.base64), a.valueEntropy >= 4.0,
                      !Placeholder.isDocumentedExample(a.valueBytes) else { return nil }
                return a.match(awsSecretAccessKey)
            },
            AssignmentRule { a in
                guard a.keyContains("sessiontoken") || a.keyContains("securitytoken"),
                      a.valueLength >= 100, a.valueAll(ByteClass("A-Za-z0-9+/=")) else { return nil }
                return a.match(awsSessionToken)
            },
            AssignmentRule { a in
                guard a.keyIs("accountkey") || (a.keyContains("azure") && a.keyContains("key")),
                      a.valueLength == 88, a.input.byte(a.value.upperBound - 1) == UInt8(ascii: "="),
                      a.valueAll(ByteClass("A-Za-z0-9+/=")) else { return nil }
                return a.match(azureStorageAccountKey)
            },
            // Pre-2020 Entra secrets have no recognisable shape: only the setting name identifies them.
            AssignmentRule { a in
                guard a.keyContains("clientsecret"),
                      a.keyContains("azure") || a.keyHasPrefix("arm") || a.keyContains("aad") || a.keyContains("entra"),
                      (32...44).contains(a.valueLength), !a.valueIsPlaceholder, a.valueEntropy >= 3.5,
                      a.valueAll(azureSecretClass.union(ByteClass("+/=*@[]:?"))) else { return nil }
                return a.match(azureClientSecret)
            },
        ]
    }

    private static let privateKeyField = Array("\"private_key\"".utf8)
    private static let keyHeaderEnd = Array("KEY-----".utf8)
    private static let endMarker = Array("-----END".utf8)

    /// Finds the `"private_key"` member of the service-account JSON around a `"type": "service_account"`
    /// member and reports the key body (the whole document is one credential).
    private static func serviceAccountKey(around a: Assignment) -> RuleMatch? {
        let input = a.input
        let window = max(0, a.value.lowerBound - 16384)..<min(input.count, a.value.upperBound + 16384)
        guard let field = input.firstIndex(of: privateKeyField, from: window.lowerBound, to: window.upperBound)
        else { return nil }
        var cursor = field + privateKeyField.count
        while cursor < window.upperBound, input.bytes[cursor] != UInt8(ascii: "\"") { cursor += 1 }
        let stringStart = cursor + 1
        guard let header = input.firstIndex(of: keyHeaderEnd, from: stringStart, to: stringStart + 64),
              let end = input.firstIndex(of: endMarker, from: header, to: min(input.count, header + 16384))
        else { return nil }
        let bodyStart = header + keyHeaderEnd.count
        guard end - bodyStart >= 64 else { return nil }
        return RuleMatch(
            gcpServiceAccount, start: stringStart, secret: bodyStart..<end, end: end + endMarker.count,
            consumes: false, normalization: .base64Body)
    }
}
