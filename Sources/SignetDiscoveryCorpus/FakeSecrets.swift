/// Generators of well-formed FAKE secrets, one per single-line detector.
///
/// Every value has the real format (prefix, length, alphabet, checksum) but random content, so it
/// grants nothing. `name` is the setting the secret is assigned to in the generated files; for
/// contextual detectors it carries the context the detector needs (`AWS_SECRET_ACCESS_KEY`).
public struct FakeSecretSpec: Sendable {
    public let detectorID: String
    public let name: String
    public let make: @Sendable (inout CorpusRandom) -> String

    init(_ detectorID: String, _ name: String, _ make: @escaping @Sendable (inout CorpusRandom) -> String) {
        self.detectorID = detectorID
        self.name = name
        self.make = make
    }
}

public enum FakeSecrets {
    static func checksummed(_ prefix: String, _ r: inout CorpusRandom) -> String {
        let random = r.alphanumeric(30)
        return prefix + random + CorpusEncoding.base62(CorpusEncoding.crc32(Array(random.utf8)))
    }

    static func password(_ r: inout CorpusRandom) -> String {
        // Guarantee two character classes, then fill from a password alphabet.
        r.string(CorpusRandom.upper, count: 1) + r.string(CorpusRandom.digits, count: 1)
            + r.string(CorpusRandom.alphanumeric + "!@#%^*-_+", count: r.int(10...18))
    }

    static func jwt(_ r: inout CorpusRandom) -> String {
        let header = CorpusEncoding.base64URL(Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8))
        let payload = CorpusEncoding.base64URL(Array(#"{"sub":"svc-\#(r.hex(8))","iat":\#(r.int(1_600_000_000...1_800_000_000))}"#.utf8))
        return header + "." + payload + "." + r.base64URL(43)
    }

    /// Single-line secrets, one spec per (detector, shape).
    public static let specs: [FakeSecretSpec] = [
        FakeSecretSpec("aws-access-key-id", "AWS_ACCESS_KEY_ID") { "AKIA" + $0.string("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", count: 16) },
        FakeSecretSpec("aws-secret-access-key", "AWS_SECRET_ACCESS_KEY") { $0.base64(40) },
        FakeSecretSpec("aws-session-token", "AWS_SESSION_TOKEN") { "IQoJb3JpZ2luX2VjE" + $0.base64(320) + "==" },
        FakeSecretSpec("gcp-api-key", "GOOGLE_MAPS_KEY") { "AIza" + $0.base64URL(35) },
        FakeSecretSpec("gcp-oauth-client-secret", "GOOGLE_OAUTH_CLIENT") { "GOCSPX-" + $0.base64URL(28) },
        FakeSecretSpec("azure-storage-account-key", "AZURE_STORAGE_KEY") { $0.base64(86) + "==" },
        FakeSecretSpec("azure-storage-account-key", "AZURE_STORAGE_CONNECTION_STRING") { r in
            "DefaultEndpointsProtocol=https;AccountName=st\(r.hex(8));AccountKey=\(r.base64(86))==;EndpointSuffix=core.windows.net"
        },
        FakeSecretSpec("azure-client-secret", "AZURE_CLIENT_SECRET") { r in
            r.alphanumeric(3) + r.digits(1) + "Q~" + r.string(CorpusRandom.alphanumeric + "_~.-", count: 33) + r.alphanumeric(1)
        },
        FakeSecretSpec("github-pat", "GITHUB_TOKEN") { checksummed("ghp_", &$0) },
        FakeSecretSpec("github-oauth-token", "GH_OAUTH") { checksummed("gho_", &$0) },
        FakeSecretSpec("github-user-to-server-token", "GH_USER_SESSION") { checksummed("ghu_", &$0) },
        FakeSecretSpec("github-server-to-server-token", "GH_INSTALLATION") { checksummed("ghs_", &$0) },
        FakeSecretSpec("github-refresh-token", "GH_REFRESH") { checksummed("ghr_", &$0) },
        FakeSecretSpec("github-fine-grained-pat", "GH_PAT") { "github_pat_" + $0.alphanumeric(22) + "_" + $0.alphanumeric(59) },
        FakeSecretSpec("gitlab-pat", "GITLAB_TOKEN") { "glpat-" + $0.alphanumeric(20) },
        FakeSecretSpec("gitlab-deploy-token", "GITLAB_DEPLOY") { "gldt-" + $0.alphanumeric(20) },
        FakeSecretSpec("gitlab-runner-token", "RUNNER_AUTH") { "glrt-" + $0.alphanumeric(20) },
        FakeSecretSpec("gitlab-runner-registration-token", "RUNNER_REGISTRATION") { "GR1348941" + $0.alphanumeric(20) },
        FakeSecretSpec("gitlab-pipeline-trigger-token", "PIPELINE_TRIGGER") { "glptt-" + $0.hex(40) },
        FakeSecretSpec("slack-bot-token", "SLACK_BOT") { "xoxb-" + $0.digits(12) + "-" + $0.digits(13) + "-" + $0.alphanumeric(24) },
        FakeSecretSpec("slack-user-token", "SLACK_USER") { "xoxp-" + $0.digits(12) + "-" + $0.digits(12) + "-" + $0.digits(13) + "-" + $0.hex(32) },
        FakeSecretSpec("slack-app-token", "SLACK_APP") { "xapp-1-A" + $0.string(CorpusRandom.upper + CorpusRandom.digits, count: 10) + "-" + $0.digits(13) + "-" + $0.hex(64) },
        FakeSecretSpec("slack-legacy-token", "SLACK_LEGACY") { "xoxr-" + $0.digits(11) + "-" + $0.alphanumeric(32) },
        FakeSecretSpec("slack-webhook-url", "SLACK_WEBHOOK_URL") { r in
            "https://hooks.slack.com/services/T" + r.string(CorpusRandom.upper + CorpusRandom.digits, count: 8)
                + "/B" + r.string(CorpusRandom.upper + CorpusRandom.digits, count: 10) + "/" + r.alphanumeric(24)
        },
        FakeSecretSpec("discord-bot-token", "DISCORD_BOT") { r in
            CorpusEncoding.base64URL(Array(("1" + r.digits(17)).utf8)) + "." + r.base64URL(6) + "." + r.base64URL(38)
        },
        FakeSecretSpec("discord-webhook-url", "DISCORD_WEBHOOK_URL") { r in
            "https://discord.com/api/webhooks/" + r.digits(18) + "/" + r.base64URL(68)
        },
        FakeSecretSpec("telegram-bot-token", "TELEGRAM_BOT") { r in r.digits(1).replacingOccurrences(of: "0", with: "7") + r.digits(9) + ":AA" + r.base64URL(33) },
        FakeSecretSpec("stripe-secret-key", "STRIPE_KEY") { "sk_live_" + $0.alphanumeric($0.int(24...99)) },
        FakeSecretSpec("stripe-restricted-key", "STRIPE_RESTRICTED") { "rk_live_" + $0.alphanumeric($0.int(24...99)) },
        FakeSecretSpec("stripe-test-secret-key", "STRIPE_TEST_KEY") { "sk_test_" + $0.alphanumeric($0.int(24...99)) },
        FakeSecretSpec("stripe-webhook-secret", "STRIPE_WEBHOOK_SIGNING") { "whsec_" + $0.alphanumeric(32) },
        FakeSecretSpec("square-access-token", "SQUARE_ACCESS") { "sq0atp-" + $0.base64URL(22) },
        FakeSecretSpec("square-oauth-secret", "SQUARE_APP") { "sq0csp-" + $0.base64URL(43) },
        FakeSecretSpec("shopify-access-token", "SHOPIFY_ADMIN") { "shpat_" + $0.hex(32) },
        FakeSecretSpec("shopify-shared-secret", "SHOPIFY_SHARED") { "shpss_" + $0.hex(32) },
        FakeSecretSpec("twilio-api-key", "TWILIO_API_KEY_SID") { "SK" + $0.hex(32) },
        FakeSecretSpec("twilio-auth-token", "TWILIO_AUTH_TOKEN") { $0.hex(32) },
        FakeSecretSpec("sendgrid-api-key", "SENDGRID") { "SG." + $0.base64URL(22) + "." + $0.base64URL(43) },
        FakeSecretSpec("mailgun-api-key", "MAILGUN") { "key-" + $0.hex(32) },
        FakeSecretSpec("mailchimp-api-key", "MAILCHIMP") { $0.hex(32) + "-us" + String($0.int(1...21)) },
        FakeSecretSpec("npm-token", "NPM_PUBLISH") { checksummed("npm_", &$0) },
        FakeSecretSpec("pypi-token", "PYPI_UPLOAD") { "pypi-AgEIcHlwaS5vcmc" + $0.base64URL(150) },
        FakeSecretSpec("jwt", "SERVICE_JWT") { jwt(&$0) },
        FakeSecretSpec("database-url-postgres", "DATABASE_URL") { "postgres://app_rw:\($0.alphanumeric(18))@db-\($0.digits(2)).corp.internal:5432/orders" },
        FakeSecretSpec("database-url-mysql", "MYSQL_URL") { "mysql://svc:\($0.alphanumeric(16))@mysql.corp.internal:3306/shop" },
        FakeSecretSpec("database-url-mongodb", "MONGO_URL") { "mongodb+srv://reader:\($0.alphanumeric(20))@cluster0.ab1cd.mongodb.net/events" },
        FakeSecretSpec("database-url-redis", "REDIS_URL") { "redis://default:\($0.alphanumeric(24))@cache.corp.internal:6379/0" },
        FakeSecretSpec("database-url-amqp", "BROKER_URL") { "amqps://worker:\($0.alphanumeric(16))@mq.corp.internal:5671/vhost" },
        FakeSecretSpec("url-basic-auth", "REGISTRY_MIRROR") { "https://deploy:\($0.alphanumeric(20))@registry.corp.internal/v2/" },
        FakeSecretSpec("openai-api-key", "OPENAI") { "sk-proj-" + $0.base64URL(120) },
        FakeSecretSpec("openai-api-key", "OPENAI_LEGACY") { "sk-" + $0.alphanumeric(20) + "T3BlbkFJ" + $0.alphanumeric(20) },
        FakeSecretSpec("anthropic-api-key", "ANTHROPIC") { "sk-ant-api03-" + $0.base64URL(93) + "AA" },
        FakeSecretSpec("vault-token", "VAULT") { "hvs." + $0.base64URL(90) },
        FakeSecretSpec("terraform-cloud-token", "TFC") { $0.alphanumeric(14) + ".atlasv1." + $0.alphanumeric(67) },
        FakeSecretSpec("doppler-token", "DOPPLER") { "dp.st." + $0.alphanumeric(43) },
        FakeSecretSpec("digitalocean-pat", "DIGITALOCEAN") { "dop_v1_" + $0.hex(64) },
        FakeSecretSpec("digitalocean-oauth-token", "DO_OAUTH") { "doo_v1_" + $0.hex(64) },
        FakeSecretSpec("heroku-api-key", "HEROKU_API_KEY") { $0.uuid() },
        FakeSecretSpec("heroku-api-key", "HEROKU") { "HRKU-AA" + $0.base64URL(58) },
        FakeSecretSpec("age-secret-key", "AGE_IDENTITY") { CorpusEncoding.bech32(hrp: "age-secret-key-", data: $0.bytes(32)).uppercased() },
        FakeSecretSpec("datadog-api-key", "DD_API_KEY") { $0.hex(32) },
        FakeSecretSpec("newrelic-user-api-key", "NEW_RELIC_USER") { "NRAK-" + $0.string(CorpusRandom.upper + CorpusRandom.digits, count: 27) },
        FakeSecretSpec("newrelic-insert-key", "NEW_RELIC_INSERT") { "NRII-" + $0.base64URL(32) },
        FakeSecretSpec("sentry-dsn", "SENTRY_DSN") { "https://\($0.hex(32))@o\($0.digits(6)).ingest.sentry.io/\($0.digits(7))" },
        FakeSecretSpec("sentry-auth-token", "SENTRY_AUTH") { "sntryu_" + $0.hex(64) },
        FakeSecretSpec("atlassian-api-token", "JIRA_API") { "ATATT3xFfGF0" + $0.base64URL(170) + "=" + $0.hex(8).uppercased() },
        FakeSecretSpec("okta-api-token", "OKTA_API_TOKEN") { "00" + $0.base64URL(40) },
        FakeSecretSpec("linear-api-key", "LINEAR") { "lin_api_" + $0.alphanumeric(40) },
        FakeSecretSpec("postman-api-key", "POSTMAN") { "PMAK-" + $0.hex(24) + "-" + $0.hex(34) },
        FakeSecretSpec("generic-password", "DB_PASSWORD") { password(&$0) },
        FakeSecretSpec("generic-password", "SMTP_PASS") { password(&$0) },
        FakeSecretSpec("generic-secret", "SESSION_SECRET") { $0.alphanumeric(32) },
        FakeSecretSpec("generic-api-key", "GEOCODER_API_KEY") { $0.alphanumeric(32) },
        FakeSecretSpec("generic-token", "INTERNAL_SERVICE_TOKEN") { $0.base64URL(40) },
    ]
}
