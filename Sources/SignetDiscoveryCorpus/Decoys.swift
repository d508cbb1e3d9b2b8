/// Look-alikes that must NOT be reported: identifiers, hashes, encoded blobs, documented example
/// keys, placeholders and template references, public keys and certificates.
enum Decoys {
    /// Settings whose values resemble secrets but are not.
    static func assignments(_ r: inout CorpusRandom) -> [(String, String)] {
        [
            ("REQUEST_ID", r.uuid()), ("TRACE_ID", r.uuid()), ("GIT_COMMIT", r.hex(40)), ("BUILD_SHA", r.hex(40)),
            ("ARTIFACT_SHA256", r.hex(64)), ("CHECKSUM", r.hex(64)), ("CONTENT_MD5", r.hex(32)),
            ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
            ("DB_PASSWORD", "changeme"), ("DB_PASSWORD", "${DB_PASSWORD}"), ("ADMIN_PASSWORD", "<password>"),
            ("API_KEY", "xxxxxxxxxxxxxxxxxxxxxxxx"), ("CLIENT_SECRET", "********"), ("AUTH_TOKEN", "{{ .Values.authToken }}"),
            ("DATABASE_URL", "postgres://user:password@localhost:5432/app"),
            ("DATABASE_URL", "postgres://app:${DB_PASSWORD}@db.corp.internal:5432/app"),
            ("STRIPE_PUBLISHABLE_KEY", "pk_live_" + r.alphanumeric(24)),
            ("GITHUB_TOKEN", "ghp_" + r.alphanumeric(36)),  // random tail: fails the CRC-32 check
            ("NPM_TOKEN", "npm_" + r.alphanumeric(36)),
            ("TOKEN_URL", "https://auth.corp.internal/oauth2/token"), ("PASSWORD_FILE", "/run/secrets/db_password"),
            ("PASSWORD_MIN_LENGTH", "12"), ("SECRET_NAME", "orders-db-credentials"),
            ("ICON", "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAA" + r.base64(600)),
            ("INTEGRITY", "sha512-" + r.base64(86) + "=="),
            ("SAMPLE_JWT", "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxMjM0NTYifQ."),
            ("THEME_COLOR", "#1a2b3c"), ("KEY_ID", r.hex(16)), ("IMAGE_DIGEST", "sha256:" + r.hex(64)),
            ("PASSWORD", "password"), ("SECRET_KEY", "your-secret-key-here"), ("API_TOKEN", "REPLACE_WITH_YOUR_TOKEN"),
            ("TOKEN_TTL", "3600"), ("SIGNING_KEY_PATH", "/etc/signet/keys/signing.pem"),
        ]
    }

    /// Source-code lines that read secrets at run time instead of hard-coding them.
    static func codeLines(_ flavor: CorpusFlavor) -> [String] {
        switch flavor {
        case .python: ["password = os.environ[\"DB_PASSWORD\"]", "api_key = settings.API_KEY",
                       "if pem.startswith(\"-----BEGIN RSA PRIVATE KEY-----\"):", "    token = get_token()"]
        case .javascript: ["const apiKey = process.env.API_KEY;", "const token = await vault.read('kv/token');",
                           "const secret = config.get('secret');"]
        case .go: ["\ttoken := os.Getenv(\"GITHUB_TOKEN\")", "\tpassword := cfg.Password", "\tsecret = strings.TrimSpace(secret)"]
        default: []
        }
    }

    static let lorem = [
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore.",
        "Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat.",
        "Duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur.",
        "Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt mollit anim id est laborum.",
    ]

    /// Whole files that must produce no finding.
    static func files(_ r: inout CorpusRandom) -> [(String, [String])] {
        let certificate = ["-----BEGIN CERTIFICATE-----"] + PEMBodies.lines("MIIDdzCCAl+gAwIBAgIE" + r.base64(1000))
            + ["-----END CERTIFICATE-----"]
        let publicKey = ["-----BEGIN PUBLIC KEY-----"] + PEMBodies.lines("MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA" + r.base64(340))
            + ["-----END PUBLIC KEY-----"]
        let readme = ["# Setup", ""] + lorem + [
            "", "Configure credentials, for example:", "", "```",
            "export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE",
            "export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "export DATABASE_URL=postgres://user:password@localhost/dev", "export API_KEY=<your-api-key>", "```", "",
            "Private keys start with `-----BEGIN PRIVATE KEY-----` and must never be committed.",
        ] + lorem
        let lock = ["{", "  \"name\": \"web\",", "  \"lockfileVersion\": 3,", "  \"packages\": {"]
            + (0..<40).flatMap { index -> [String] in
                ["    \"node_modules/pkg-\(index)\": {", "      \"version\": \"1.\(index).0\",",
                 "      \"resolved\": \"https://registry.npmjs.org/pkg-\(index)/-/pkg-\(index)-1.\(index).0.tgz\",",
                 "      \"integrity\": \"sha512-\(r.base64(86))==\"", "    },"]
            } + ["  }", "}"]
        let goSum = (0..<30).map { index in "github.com/corp/mod\(index) v1.\(index).0 h1:\(r.base64(43))=" }
        let commits = (0..<30).map { _ in "\(r.hex(40)) refs/heads/feature/\(r.hex(6))" }
        return [
            ("certs/server.crt", certificate), ("keys/public.pem", publicKey),
            ("keys/id_ed25519.pub", ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI\(r.base64(43)) deploy@ci"]),
            ("docs/README.md", readme), ("web/package-lock.json", lock), ("go.sum", goSum), ("packed-refs", commits),
            ("web/assets/logo.txt", ["data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAA" + r.base64(4000)]),
            ("docs/uuids.csv", (0..<50).map { _ in "\(r.uuid()),\(r.hex(40)),\(r.hex(64))" }),
        ]
    }
}

/// PEM body helpers for the corpus.
enum PEMBodies {
    /// Splits base64 into 64-character lines.
    static func lines(_ base64: String) -> [String] {
        var result: [String] = []
        var rest = Substring(base64)
        while !rest.isEmpty {
            result.append(String(rest.prefix(64)))
            rest = rest.dropFirst(64)
        }
        return result
    }

    static func der(_ header: [UInt8], _ r: inout CorpusRandom, length: Int) -> String {
        CorpusEncoding.base64(header + r.bytes(length))
    }

    static func openssh(cipher: String, _ r: inout CorpusRandom) -> String {
        let magic = Array("openssh-key-v1".utf8) + [0]
        let name = Array(cipher.utf8)
        let length = [UInt8(0), 0, 0, UInt8(name.count)]
        return CorpusEncoding.base64(magic + length + name + r.bytes(300))
    }
}
