/// Observability and SaaS platforms: Datadog, New Relic, Sentry, Atlassian, Okta, Linear, Postman.
enum SaaSDetectors: DetectorFamily {
    static let datadog = detector("datadog-api-key", .contextual, "Datadog API or application key (hex next to a Datadog setting).")
    static let newRelicUserKey = detector("newrelic-user-api-key", .structured, "New Relic user API key (NRAK-…).")
    static let newRelicInsertKey = detector("newrelic-insert-key", .structured, "New Relic insert / ingest key (NRII-…).")
    static let sentryDSN = detector("sentry-dsn", .structured, "Sentry DSN with its public key; lets anyone submit events to the project.")
    static let sentryAuthToken = detector("sentry-auth-token", .structured, "Sentry organisation or user auth token (sntrys_/sntryu_…).")
    static let atlassian = detector("atlassian-api-token", .structured, "Atlassian (Jira/Confluence) API token (ATATT3…).")
    static let okta = detector("okta-api-token", .contextual, "Okta API token (00… next to an Okta setting); administers the org.")
    static let linear = detector("linear-api-key", .structured, "Linear API key (lin_api_…).")
    static let postman = detector("postman-api-key", .structured, "Postman API key (PMAK-…).")

    private static func detector(_ id: String, _ specificity: SecretSpecificity, _ description: String) -> SecretDetector {
        SecretDetector(id: id, kind: .apiToken, severity: .high, specificity: specificity, description: description)
    }

    static var detectors: [SecretDetector] {
        [datadog, newRelicUserKey, newRelicInsertKey, sentryDSN, sentryAuthToken, atlassian, okta, linear, postman]
    }

    static var anchorRules: [AnchorRule] {
        [
            .token(newRelicUserKey, prefix: "NRAK-", body: ByteClass("A-Z0-9"), length: 27...27),
            .token(newRelicInsertKey, prefix: "NRII-", body: .base64URL, length: 32...32),
            .token(sentryAuthToken, prefix: "sntrys_", body: ByteClass("A-Za-z0-9_+/="), length: 60...400),
            .token(sentryAuthToken, prefix: "sntryu_", body: .lowerHex, length: 64...64),
            .token(atlassian, prefix: "ATATT3", body: ByteClass("A-Za-z0-9_=-"), length: 150...300),
            .token(linear, prefix: "lin_api_", body: .alphanumeric, length: 40...40),
            .token(postman, prefix: "PMAK-", body: ByteClass("a-f0-9-"), length: 59...59) { token in
                token[5 + 24] == UInt8(ascii: "-")
            },
        ]
    }

    static var assignmentRules: [AssignmentRule] {
        [
            AssignmentRule { a in
                guard a.keyContains("datadog") || a.keyHasPrefix("dd"),
                      a.keyContains("apikey") || a.keyContains("appkey") || a.keyContains("applicationkey"),
                      a.valueLength == 32 || a.valueLength == 40, a.valueAll(.lowerHex) else { return nil }
                return a.match(datadog)
            },
            AssignmentRule { a in
                guard a.keyContains("okta"), a.keyContains("token") || a.keyContains("key"), a.valueLength == 42,
                      a.input.byte(a.value.lowerBound) == UInt8(ascii: "0"),
                      a.input.byte(a.value.lowerBound + 1) == UInt8(ascii: "0"), a.valueAll(.base64URL)
                else { return nil }
                return a.match(okta)
            },
        ]
    }

    static var urlRules: [URLRule] {
        [URLRule { url in
            guard url.schemeIs("https") || url.schemeIs("http"), let userinfo = url.userinfo,
                  url.hostContains("sentry"), url.input.run(of: .lowerHex, from: userinfo.lowerBound, limit: 33) == 32,
                  url.input.byte(url.rest.lowerBound) == UInt8(ascii: "/"),
                  ByteClass.digits.contains(url.input.byte(url.rest.lowerBound + 1)) else { return nil }
            return RuleMatch(sentryDSN, start: url.schemeStart, secret: userinfo, end: url.end)
        }]
    }
}
