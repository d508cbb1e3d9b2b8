import Foundation
import Testing

@testable import SignetCore

@Suite("Findings engine")
struct FindingsEngineTests {
    static let day: TimeInterval = 86_400
    /// 2026-11-23T00:00:00Z
    static let now = Date(timeIntervalSince1970: 1_795_392_000)
    static let engine = FindingsEngine(policy: FindingsPolicy())

    static func ago(_ days: Double, _ seconds: TimeInterval = 0) -> Date {
        now.addingTimeInterval(-days * day - seconds)
    }

    static func ahead(_ days: Double, _ seconds: TimeInterval = 0) -> Date {
        now.addingTimeInterval(days * day + seconds)
    }

    static func file(_ path: String, line: Int? = nil) -> InventoryItem.Location {
        .init(type: "file", target: path, line: line, firstSeen: ago(1))
    }

    static func location(_ type: String, _ target: String, line: Int? = nil, commit: String? = nil)
        -> InventoryItem.Location
    {
        .init(type: type, target: target, line: line, commit: commit, firstSeen: ago(1))
    }

    static func certificate(
        notBefore: Date = ago(10), notAfter: Date = ahead(100), sans: [String] = ["DNS:api.example.com"],
        signature: String = "ecdsa-with-SHA256", selfSigned: Bool = false, isCA: Bool = false
    ) -> InventoryItem.CertificateFacts {
        .init(
            subject: "CN=api.example.com", issuer: selfSigned ? "CN=api.example.com" : "CN=Example CA", serial: "01",
            sans: sans, notBefore: notBefore, notAfter: notAfter, signatureAlgorithm: signature,
            selfSigned: selfSigned, isCA: isCA)
    }

    /// A healthy certificate item: owned, fresh, strong, CA-issued; it has no findings.
    static func cert(
        _ facts: InventoryItem.CertificateFacts = certificate(), locations: [InventoryItem.Location]? = nil,
        environment: String? = nil, algorithm: String = "EC P-256", keySize: Int = 256, managed: Bool = false,
        status: InventoryItem.Status = .active, expires: Date? = nil
    ) -> InventoryItem {
        InventoryItem(
            kind: .x509Certificate, fingerprint: "sha256:cert", detector: "pem-certificate",
            locations: locations ?? [file("/etc/ssl/api.pem")], owner: "payments", environment: environment,
            created: facts.notBefore, expires: expires ?? facts.notAfter, algorithm: algorithm, keySize: keySize,
            certificate: facts, managedBySignet: managed, status: status)
    }

    /// A secret item, owned and recent, with no findings unless the arguments add some.
    static func secret(
        _ kind: InventoryItem.Kind = .apiToken, detector: String? = nil,
        locations: [InventoryItem.Location] = [location("account", "github:acme")], created: Date? = ago(10),
        expires: Date? = nil, lastUsed: Date? = nil, owner: String? = "payments", managed: Bool = false,
        status: InventoryItem.Status = .active, attributes: [String: String] = [:], notes: [String] = [],
        privileges: [String] = [], algorithm: String? = nil, keySize: Int? = nil, encrypted: Bool = false
    ) -> InventoryItem {
        InventoryItem(
            kind: kind, fingerprint: "hmac-sha256:01", detector: detector, locations: locations, owner: owner,
            created: created, expires: expires, lastUsed: lastUsed, algorithm: algorithm, keySize: keySize,
            privileges: privileges, managedBySignet: managed, encrypted: encrypted, status: status,
            attributes: attributes, notes: notes)
    }

    static func findings(_ item: InventoryItem, engine: FindingsEngine = engine) -> [Finding] {
        engine.findings(for: item, now: now)
    }

    static func only(_ rule: Finding.Rule, _ item: InventoryItem, engine: FindingsEngine = engine) -> Finding? {
        findings(item, engine: engine).first { $0.rule == rule }
    }

    static func rules(_ item: InventoryItem, engine: FindingsEngine = engine) -> [Finding.Rule] {
        findings(item, engine: engine).map(\.rule)
    }

    // MARK: - Baseline

    @Test("healthy items have no findings")
    func healthy() {
        #expect(Self.findings(Self.cert()).isEmpty)
        #expect(Self.findings(Self.secret()).isEmpty)
        #expect(Self.findings(Self.secret(.privateKey, algorithm: "RSA", keySize: 3072)).isEmpty)
    }

    @Test("findings carry the item's id, owner and first location, and ids are rule/item")
    func findingFields() throws {
        let item = Self.cert(
            Self.certificate(notAfter: Self.ago(53)),
            locations: [Self.location("tls", "api.example.com:443"), Self.file("/etc/ssl/api.pem")])
        let finding = try #require(Self.only(.expired, item))
        #expect(finding.itemID == item.id)
        #expect(finding.id == "expired/\(item.id)")
        #expect(finding.owner == "payments")
        #expect(finding.location?.target == "api.example.com:443")
        #expect(!finding.fix.isEmpty)
    }

    @Test("revoked and retired items have no findings at all")
    func outOfUse() {
        for status in [InventoryItem.Status.revoked, .retired] {
            let item = Self.secret(
                .cloudAccessKey, detector: "aws-access-key-id", locations: [Self.location("git", "acme/app")],
                created: Self.ago(1000), owner: nil, status: status, privileges: ["*"])
            #expect(Self.findings(item).isEmpty, "\(status)")
        }
    }

    @Test("the risk score sums severity weights")
    func riskScore() {
        let item = Self.secret(
            .cloudAccessKey, detector: "aws-access-key-id", locations: [Self.location("git", "acme/app")],
            owner: nil, privileges: ["s3:*"])
        let findings = Self.findings(item)
        #expect(findings.map(\.rule) == [.hardCodedSecret, .noOwner, .overPrivileged])
        #expect(FindingsEngine.riskScore(findings) == 50 + 5 + 20)
        #expect(FindingsEngine.riskScore([]) == 0)
        for severity in Finding.Severity.allCases {
            #expect(FindingsEngine.weight(severity) == severity.weight)
        }
    }

    // MARK: - expired

    @Test("expired: high, critical in production, with the date and days in the evidence")
    func expired() throws {
        let item = Self.cert(Self.certificate(notAfter: Self.ago(53)))
        let finding = try #require(Self.only(.expired, item))
        #expect(finding.severity == .high)
        #expect(finding.evidence.hasPrefix("expired 2026-10-01, 53 days ago"))
        #expect(finding.title == "Certificate expired")

        let production = Self.cert(Self.certificate(notAfter: Self.ago(53)), environment: "Prod")
        #expect(Self.only(.expired, production)?.severity == .critical)
        let custom = FindingsEngine(policy: FindingsPolicy(productionEnvironments: ["live"]))
        #expect(Self.only(.expired, Self.cert(Self.certificate(notAfter: Self.ago(1)), environment: "live"),
                          engine: custom)?.severity == .critical)
        #expect(Self.only(.expired, production, engine: custom)?.severity == .high)
    }

    @Test("expired: at the instant of expiry, from notAfter when expires is missing, also when marked expired")
    func expiredEdges() {
        #expect(Self.only(.expired, Self.cert(Self.certificate(notAfter: Self.now))) != nil)
        #expect(Self.only(.expired, Self.cert(Self.certificate(notAfter: Self.ahead(0, 1)))) == nil)
        var noExpires = Self.cert(Self.certificate(notAfter: Self.ago(2)))
        noExpires.expires = nil
        #expect(Self.only(.expired, noExpires) != nil)
        #expect(Self.only(.expired, Self.cert(Self.certificate(notAfter: Self.ago(2)), status: .expired)) != nil)
        #expect(Self.only(.expired, Self.secret(expires: Self.ago(0, 1)))?.evidence.contains("less than a day ago")
            == true)
    }

    @Test("expired and expiring-soon skip Signet-managed items")
    func managedDoNotExpire() {
        let expiredSVID = Self.cert(Self.certificate(notAfter: Self.ago(3)), managed: true)
        let expiringSVID = Self.cert(Self.certificate(notAfter: Self.ahead(0, 30)), managed: true)
        #expect(!Self.rules(expiredSVID).contains(.expired))
        #expect(!Self.rules(expiringSVID).contains(.expiringSoon))
    }

    // MARK: - expiring-soon

    @Test("expiring-soon: 30 days exactly is medium, 30 days + 1 s is nothing, 7 days exactly is critical")
    func expiringSoon() throws {
        let at30 = try #require(Self.only(.expiringSoon, Self.cert(Self.certificate(notAfter: Self.ahead(30)))))
        #expect(at30.severity == .medium)
        #expect(at30.evidence == "expires 2026-12-23, in 30 days")
        #expect(Self.only(.expiringSoon, Self.cert(Self.certificate(notAfter: Self.ahead(30, 1)))) == nil)
        #expect(Self.only(.expiringSoon, Self.cert(Self.certificate(notAfter: Self.ahead(7))))?.severity == .critical)
        #expect(Self.only(.expiringSoon, Self.cert(Self.certificate(notAfter: Self.ahead(7, 1))))?.severity == .medium)
        #expect(Self.only(.expiringSoon, Self.secret(expires: Self.ahead(0, 60)))?.evidence.contains("in less than a day")
            == true)
        // Already expired: `expired`, not `expiring-soon`.
        #expect(Self.rules(Self.cert(Self.certificate(notAfter: Self.ago(1)))) == [.expired])
    }

    @Test("policy windows are honoured")
    func expiringPolicy() {
        let engine = FindingsEngine(policy: FindingsPolicy(expiringWithinDays: 60, criticalWithinDays: 14))
        #expect(Self.only(.expiringSoon, Self.cert(Self.certificate(notAfter: Self.ahead(45))), engine: engine)?.severity
            == .medium)
        #expect(Self.only(.expiringSoon, Self.cert(Self.certificate(notAfter: Self.ahead(10))), engine: engine)?.severity
            == .critical)
    }

    // MARK: - validity-above-policy

    static let june2025 = Date(timeIntervalSince1970: 1_748_736_000)
    static let april2026 = CivilDate(year: 2026, month: 4, day: 1).start

    static func tlsLeaf(from notBefore: Date, days: Double, sans: [String] = ["DNS:www.example.com"], isCA: Bool = false,
                        locations: [InventoryItem.Location]? = nil) -> InventoryItem
    {
        cert(Self.certificate(notBefore: notBefore, notAfter: notBefore.addingTimeInterval(days * day - 1), sans: sans,
                              isCA: isCA), locations: locations, expires: ahead(100))
    }

    @Test("validity-above-policy: 398 days on 2025-06-01 pass, 399 do not")
    func tlsValidity2025() throws {
        #expect(Self.only(.validityAbovePolicy, Self.tlsLeaf(from: Self.june2025, days: 398)) == nil)
        let finding = try #require(Self.only(.validityAbovePolicy, Self.tlsLeaf(from: Self.june2025, days: 399)))
        #expect(finding.severity == .medium)
        #expect(finding.evidence.contains("valid 399 days"))
        #expect(finding.evidence.contains("at most 398 days"))
    }

    @Test("validity-above-policy: 200 days on 2026-04-01 pass, 201 do not")
    func tlsValidity2026() {
        #expect(Self.only(.validityAbovePolicy, Self.tlsLeaf(from: Self.april2026, days: 200)) == nil)
        #expect(Self.only(.validityAbovePolicy, Self.tlsLeaf(from: Self.april2026, days: 201)) != nil)
        // One second past 200 days (notAfter = notBefore + 200 d) is already too long.
        var edge = Self.tlsLeaf(from: Self.april2026, days: 200)
        edge.certificate?.notAfter = Self.april2026.addingTimeInterval(200 * Self.day)
        #expect(Self.only(.validityAbovePolicy, edge)?.evidence.contains("200d1s") == true)
    }

    @Test("validity-above-policy applies to TLS leaves only: not CAs, not certificates without DNS names or TLS")
    func tlsValidityScope() {
        #expect(Self.only(.validityAbovePolicy, Self.tlsLeaf(from: Self.april2026, days: 800, isCA: true)) == nil)
        let clientCert = Self.tlsLeaf(from: Self.april2026, days: 800, sans: ["email:bot@example.com", "IP:10.0.0.1"])
        #expect(Self.only(.validityAbovePolicy, clientCert) == nil)
        let served = Self.tlsLeaf(
            from: Self.april2026, days: 800, sans: [], locations: [Self.location("tls", "10.0.0.1:443")])
        #expect(Self.only(.validityAbovePolicy, served) != nil)
        #expect(Self.only(.validityAbovePolicy, Self.tlsLeaf(from: Self.april2026, days: 800, sans: ["api.internal"]))
            != nil)
        #expect(Self.only(.validityAbovePolicy, Self.tlsLeaf(from: Self.april2026, days: 800, sans: ["10.1.2.3"])) == nil)
    }

    @Test("validity-above-policy: SVIDs and imported entry TTLs above the policy maxima")
    func svidValidity() throws {
        func svid(ttl: TimeInterval) -> InventoryItem {
            let facts = Self.certificate(
                notBefore: Self.ago(0, 60), notAfter: Self.ago(0, 60).addingTimeInterval(ttl),
                sans: ["URI:spiffe://example.org/api"])
            return InventoryItem(
                kind: .signetSVID, fingerprint: "sha256:svid", locations: [Self.location("signet", "entry-1")],
                owner: "payments", certificate: facts, managedBySignet: true)
        }
        #expect(Self.only(.validityAbovePolicy, svid(ttl: 86_400)) == nil)
        let long = try #require(Self.only(.validityAbovePolicy, svid(ttl: 2 * 86_400)))
        #expect(long.evidence.contains("X.509-SVID lifetime 2d exceeds the policy maximum 1d"))

        func entry(_ attributes: [String: String]) -> InventoryItem {
            Self.secret(.signetEntry, locations: [Self.location("import", "spire")], attributes: attributes)
        }
        #expect(Self.only(.validityAbovePolicy, entry(["x509_svid_ttl": "86400", "jwt_svid_ttl": "3600"])) == nil)
        #expect(Self.only(.validityAbovePolicy, entry(["x509_svid_ttl": "86401"])) != nil)
        #expect(Self.only(.validityAbovePolicy, entry(["jwt_svid_ttl": "3601"])) != nil)
        #expect(Self.only(.validityAbovePolicy, entry(["jwt_svid_ttl": "2h"]))?.evidence.contains("JWT-SVID TTL 2h") == true)
        #expect(Self.only(.validityAbovePolicy, entry(["jwt_svid_ttl": "soon"])) == nil)
        let both = try #require(Self.only(.validityAbovePolicy, entry(["x509_svid_ttl": "7d", "jwt_svid_ttl": "1d"])))
        #expect(both.evidence.contains("; "))
        let strict = FindingsEngine(policy: FindingsPolicy(maxSVIDTTLSeconds: 3600))
        #expect(Self.only(.validityAbovePolicy, svid(ttl: 7200), engine: strict) != nil)
    }

    // MARK: - not-rotated

    @Test("not-rotated: static secrets older than 90 days, high beyond 360")
    func notRotated() throws {
        #expect(Self.only(.notRotated, Self.secret(created: Self.ago(90))) == nil)
        let old = try #require(Self.only(.notRotated, Self.secret(created: Self.ago(90, 1))))
        #expect(old.severity == .medium)
        #expect(old.evidence.contains("created 2026-08-24, 90 days ago; never expires"))
        #expect(Self.only(.notRotated, Self.secret(created: Self.ago(360)))?.severity == .medium)
        #expect(Self.only(.notRotated, Self.secret(created: Self.ago(360, 1)))?.severity == .high)
        for kind in [InventoryItem.Kind.cloudAccessKey, .password, .kubernetesToken, .sshKey, .privateKey,
                     .jwtSigningTrust] {
            #expect(Self.only(.notRotated, Self.secret(kind, created: Self.ago(100))) != nil, "\(kind)")
        }
    }

    @Test("not-rotated: first seen stands in for created; an expiry within the period or management exempts")
    func notRotatedEdges() {
        var firstSeenOnly = Self.secret(
            locations: [.init(type: "account", target: "github:acme", firstSeen: Self.ago(120))], created: nil)
        #expect(Self.only(.notRotated, firstSeenOnly)?.evidence.hasPrefix("first seen") == true)
        firstSeenOnly.locations = []
        #expect(Self.only(.notRotated, firstSeenOnly) == nil)
        #expect(Self.only(.notRotated, Self.secret(created: Self.ago(200), expires: Self.ahead(90))) == nil)
        #expect(Self.only(.notRotated, Self.secret(created: Self.ago(200), expires: Self.ahead(90, 1))) != nil)
        #expect(Self.only(.notRotated, Self.secret(created: Self.ago(200), managed: true)) == nil)
        #expect(Self.only(.notRotated, Self.secret(created: Self.ago(200), status: .expired)) == nil)
        // A certificate's key is renewed with its certificate; certificates have expiries.
        #expect(Self.only(.notRotated, Self.secret(.privateKey, created: Self.ago(200),
                                                   attributes: ["certificate": "x509-certificate:sha256:ab"])) == nil)
        #expect(Self.only(.notRotated, Self.cert(Self.certificate(notBefore: Self.ago(700), notAfter: Self.ahead(700))))
            == nil)
        #expect(Self.only(.notRotated, Self.secret(.kubernetesServiceAccount, created: Self.ago(200))) == nil)
        let engine = FindingsEngine(policy: FindingsPolicy(rotationDays: 30))
        #expect(Self.only(.notRotated, Self.secret(created: Self.ago(31)), engine: engine) != nil)
    }

    // MARK: - hard-coded-secret

    @Test("hard-coded-secret: high in a file, critical in git history or for cloud keys")
    func hardCoded() throws {
        let inFile = try #require(
            Self.only(.hardCodedSecret, Self.secret(detector: "github-pat", locations: [Self.file("/srv/app/.env", line: 3)])))
        #expect(inFile.severity == .high)
        #expect(inFile.evidence == "found by detector github-pat in /srv/app/.env:3")
        let inGit = try #require(
            Self.only(.hardCodedSecret, Self.secret(
                detector: "github-pat",
                locations: [Self.file("/srv/app/.env"), Self.location("git", "git@github.com:acme/app", line: 3,
                                                                      commit: "0123456789abcdef0123")])))
        #expect(inGit.severity == .critical)
        #expect(inGit.evidence.contains("git history of git@github.com:acme/app (commit 0123456789ab, line 3)"))
        #expect(inGit.evidence.contains("and 1 more place"))
        #expect(inGit.fix.contains("git filter-repo"))
        #expect(!inFile.fix.contains("git filter-repo"))
        let cloud = Self.secret(.cloudAccessKey, detector: "aws-access-key-id", locations: [Self.file("/srv/app/.env")])
        #expect(Self.only(.hardCodedSecret, cloud)?.severity == .critical)
    }

    @Test("hard-coded-secret: low when every place looks like test data")
    func hardCodedTests() {
        for path in ["/src/app/test/keys.pem", "/src/app/Tests/Fixtures/key.pem", "/repo/fixtures/aws.json",
                     "/src/auth_test.go", "/srv/app/.env.example", "tests/creds.txt", "Tests/keys.pem", "/go/src/x/testdata/k.pem"] {
            let item = Self.secret(.privateKey, detector: "pem-private-key", locations: [Self.file(path)])
            #expect(Self.only(.hardCodedSecret, item)?.severity == .low, "\(path)")
        }
        let noted = Self.secret(detector: "github-pat", locations: [Self.file("/srv/app/conf")], notes: ["test-file"])
        #expect(Self.only(.hardCodedSecret, noted)?.severity == .low)
        let mixed = Self.secret(
            detector: "github-pat", locations: [Self.file("/srv/app/test/conf"), Self.file("/srv/app/conf")])
        #expect(Self.only(.hardCodedSecret, mixed)?.severity == .high)
        let testimonial = Self.secret(detector: "github-pat", locations: [Self.file("/srv/testimonials/conf")])
        #expect(Self.only(.hardCodedSecret, testimonial)?.severity == .high)
        let contest = Self.secret(detector: "github-pat", locations: [Self.file("contest/conf")])
        #expect(Self.only(.hardCodedSecret, contest)?.severity == .high)
    }

    @Test("hard-coded-secret needs a detector, a secret kind, and a file or git location")
    func hardCodedScope() {
        #expect(Self.only(.hardCodedSecret, Self.secret(locations: [Self.file("/srv/app/.env")])) == nil)
        #expect(Self.only(.hardCodedSecret, Self.secret(detector: "github-pat")) == nil)  // account location only
        #expect(Self.only(.hardCodedSecret, Self.cert()) == nil)  // certificates are public
        #expect(Self.only(.hardCodedSecret, Self.secret(.jwtSigningTrust, detector: "jwt-hmac-secret",
                                                        locations: [Self.file("/srv/app/jwt.key")])) != nil)
    }

    // MARK: - world-readable-key

    @Test("world-readable-key: private keys with the scanner's note")
    func worldReadable() throws {
        let key = Self.secret(
            .privateKey, locations: [Self.file("/etc/app/key.pem")], notes: ["world-readable"], encrypted: true)
        let finding = try #require(Self.only(.worldReadableKey, key))
        #expect(finding.severity == .high)
        #expect(finding.evidence.contains("/etc/app/key.pem"))
        #expect(finding.evidence.contains("passphrase-protected"))
        #expect(Self.only(.worldReadableKey, Self.secret(.sshKey, notes: ["world-readable"])) != nil)
        #expect(Self.only(.worldReadableKey, Self.secret(.pkcs12, notes: ["world-readable"])) != nil)
        #expect(Self.only(.worldReadableKey, Self.secret(.privateKey)) == nil)
        #expect(Self.only(.worldReadableKey, Self.secret(.apiToken, notes: ["world-readable"])) == nil)
        var certificate = Self.cert()
        certificate.notes = ["world-readable"]
        #expect(Self.only(.worldReadableKey, certificate) == nil)
    }

    // MARK: - weak-key

    @Test("weak-key: RSA/DSA under 2048 bits, EC under 224")
    func weakKey() throws {
        func weak(_ algorithm: String, _ size: Int) -> Bool {
            Self.only(.weakKey, Self.secret(.privateKey, algorithm: algorithm, keySize: size)) != nil
        }
        #expect(weak("RSA", 1024))
        #expect(weak("RSA", 2047))
        #expect(!weak("RSA", 2048))
        #expect(weak("DSA", 1024))
        #expect(weak("ssh-dss", 1024))
        #expect(weak("ssh-rsa", 1024))
        #expect(weak("EC P-192", 192))
        #expect(weak("ECDSA", 192))
        #expect(!weak("EC P-224", 224))
        #expect(!weak("EC P-256", 256))
        #expect(!weak("Ed25519", 128))
        #expect(!weak("RECTANGLE", 8))
        #expect(Self.only(.weakKey, Self.secret(.privateKey, algorithm: "RSA", keySize: nil)) == nil)
        let finding = try #require(Self.only(.weakKey, Self.cert(algorithm: "RSA", keySize: 1024)))
        #expect(finding.severity == .high)
        #expect(finding.evidence == "RSA key of 1024 bits (minimum 2048)")
    }

    // MARK: - weak-signature

    @Test("weak-signature: SHA-1 and MD5, medium for self-signed roots")
    func weakSignature() {
        for signature in ["sha1WithRSAEncryption", "ecdsa-with-SHA1", "md5WithRSAEncryption", "SHA-1"] {
            #expect(Self.only(.weakSignature, Self.cert(Self.certificate(signature: signature)))?.severity == .high,
                    "\(signature)")
        }
        #expect(Self.only(.weakSignature, Self.cert(Self.certificate(signature: "sha256WithRSAEncryption"))) == nil)
        #expect(Self.only(.weakSignature, Self.cert(Self.certificate(signature: "sha512WithRSAEncryption"))) == nil)
        let root = Self.cert(Self.certificate(signature: "sha1WithRSAEncryption", selfSigned: true, isCA: true))
        #expect(Self.only(.weakSignature, root)?.severity == .medium)
        let intermediate = Self.cert(Self.certificate(signature: "sha1WithRSAEncryption", isCA: true))
        #expect(Self.only(.weakSignature, intermediate)?.severity == .high)
    }

    // MARK: - self-signed-in-production

    @Test("self-signed-in-production: production, or served over TLS outside non-production")
    func selfSigned() throws {
        let facts = Self.certificate(selfSigned: true)
        let inProduction = try #require(Self.only(.selfSignedInProduction, Self.cert(facts, environment: "production")))
        #expect(inProduction.severity == .high)
        let served = Self.cert(facts, locations: [Self.location("tls", "api.example.com:443")])
        #expect(Self.only(.selfSignedInProduction, served)?.evidence.contains("served at api.example.com:443") == true)
        let servedStaging = Self.cert(facts, locations: [Self.location("tls", "api:443")], environment: "Staging")
        #expect(Self.only(.selfSignedInProduction, servedStaging) == nil)
        #expect(Self.only(.selfSignedInProduction, Self.cert(facts)) == nil)  // a file, environment unknown
        #expect(Self.only(.selfSignedInProduction, Self.cert(facts, environment: "dev")) == nil)
        let root = Self.cert(Self.certificate(selfSigned: true, isCA: true), environment: "prod")
        #expect(Self.only(.selfSignedInProduction, root) == nil)
        #expect(Self.only(.selfSignedInProduction, Self.cert(environment: "prod")) == nil)
    }

    // MARK: - owners

    @Test("no-owner: medium, low for Signet-managed items; blank owners count as none")
    func noOwner() throws {
        let finding = try #require(Self.only(.noOwner, Self.secret(owner: nil)))
        #expect(finding.severity == .medium)
        #expect(finding.owner == nil)
        #expect(Self.only(.noOwner, Self.secret(owner: "")) != nil)
        #expect(Self.only(.noOwner, Self.secret(owner: "  ")) != nil)
        #expect(Self.only(.noOwner, Self.secret(owner: nil, managed: true))?.severity == .low)
        #expect(Self.only(.noOwner, Self.secret(owner: "payments")) == nil)
    }

    @Test("unknown-owner: only when teams are known, and never together with no-owner")
    func unknownOwner() throws {
        let engine = FindingsEngine(policy: FindingsPolicy(knownTeams: ["payments", "platform"]))
        let finding = try #require(Self.only(.unknownOwner, Self.secret(owner: "paymnets"), engine: engine))
        #expect(finding.severity == .medium)
        #expect(finding.evidence.contains("'paymnets'"))
        #expect(Self.only(.unknownOwner, Self.secret(owner: "payments"), engine: engine) == nil)
        #expect(Self.only(.unknownOwner, Self.secret(owner: "paymnets")) == nil)
        #expect(Self.rules(Self.secret(owner: nil), engine: engine) == [.noOwner])
    }

    // MARK: - unused

    @Test("unused: last used more than 90 days ago, or never used and older than 90 days")
    func unused() throws {
        let finding = try #require(Self.only(.unused, Self.secret(lastUsed: Self.ago(90, 1))))
        #expect(finding.severity == .medium)
        #expect(finding.evidence.hasPrefix("last used 2026-08-24, 90 days ago"))
        #expect(Self.only(.unused, Self.secret(lastUsed: Self.ago(90))) == nil)
        #expect(Self.only(.unused, Self.secret(lastUsed: Self.ago(1))) == nil)
        #expect(Self.only(.unused, Self.secret(created: Self.ago(100), attributes: ["never_used": "true"]))?.evidence
            .hasPrefix("never used") == true)
        #expect(Self.only(.unused, Self.secret(created: Self.ago(10), attributes: ["never_used": "true"])) == nil)
        #expect(Self.only(.unused, Self.secret(created: Self.ago(100), attributes: ["never_used": "false"])) == nil)
        #expect(Self.only(.unused, Self.secret(lastUsed: Self.ago(200), status: .expired)) == nil)
        // A recent use wins over a stale never_used flag.
        #expect(Self.only(.unused, Self.secret(created: Self.ago(100), lastUsed: Self.ago(1),
                                               attributes: ["never_used": "true"])) == nil)
    }

    // MARK: - shared

    @Test("shared: distinct places, ignoring lines and commits and the spelling of a repository")
    func shared() throws {
        let twoFiles = Self.secret(
            .privateKey, locations: [Self.file("/srv/a/key.pem"), Self.file("/srv/b/key.pem")])
        let finding = try #require(Self.only(.shared, twoFiles))
        #expect(finding.severity == .medium)
        #expect(finding.evidence == "seen in 2 places: /srv/a/key.pem, /srv/b/key.pem")
        #expect(Self.only(.shared, Self.secret(locations: [Self.file("/a"), Self.file("/b")]))?.severity == .high)
        #expect(Self.only(.shared, Self.secret(locations: [Self.file("/a", line: 1), Self.file("/a", line: 9)])) == nil)
        let oneRepository = Self.secret(locations: [
            Self.location("git", "https://GitHub.com/acme/app.git", line: 3, commit: "aaa"),
            Self.location("git", "git@github.com:acme/app", line: 7, commit: "bbb"),
            Self.location("git", "ssh://git@github.com/acme/app/", commit: "ccc"),
            Self.location("git", "https://github.com/acme/app/blob/main/.env"),
            Self.location("git", "https://github.com/acme/app#config/prod.env"),
            Self.location("git", "https://github.com/acme/app/config/prod.env", line: 2),  // the scanners' form
            Self.location("git", "git@github.com:acme/app.git/src/settings.py"),
        ])
        #expect(Self.only(.shared, oneRepository) == nil)
        // A local repository: only the item's repository attribute tells repository from path.
        let localFiles = [Self.location("git", "/home/me/app/a.env"), Self.location("git", "/home/me/app/config/b.env")]
        #expect(Self.only(.shared, Self.secret(locations: localFiles, attributes: ["repository": "/home/me/app"])) == nil)
        #expect(Self.only(.shared, Self.secret(locations: localFiles, attributes: ["repository": "/home/me/ap"]))
            != nil)
        let evidence = Self.only(.shared, Self.secret(locations: [
            Self.location("git", "https://github.com/acme/app/a.env"), Self.location("git", "https://github.com/acme/web/a.env"),
        ]))?.evidence
        #expect(evidence == "seen in 2 places: git https://github.com/acme/app/a.env, git https://github.com/acme/web/a.env")
        #expect(FindingsEngine.repositoryKey("https://GitHub.com/acme/app.git") == "github.com/acme/app")
        #expect(FindingsEngine.repositoryKey("git@github.com:acme/app/src/x.py") == "github.com/acme/app")
        #expect(FindingsEngine.repositoryKey("https://github.com/acme") == "github.com/acme")
        #expect(FindingsEngine.repositoryKey("https://github.com/acme/app") == "github.com/acme/app")
        #expect(FindingsEngine.repositoryKey("/home/me/app/src/x.py") == "/home/me/app/src/x.py")
        let twoRepositories = Self.secret(locations: [
            Self.location("git", "git@github.com:acme/app"), Self.location("git", "git@github.com:acme/other"),
        ])
        #expect(Self.only(.shared, twoRepositories) != nil)
        let fileAndHost = Self.cert(locations: [Self.file("/etc/ssl/a.pem"), Self.location("tls", "a:443")])
        #expect(Self.only(.shared, fileAndHost) != nil)
    }

    @Test("shared: several owners listed, and many locations")
    func sharedOwners() {
        #expect(Self.only(.shared, Self.secret(attributes: ["owners": "payments, platform"]))?.evidence
            == "claimed by 2 owners: payments, platform")
        #expect(Self.only(.shared, Self.secret(attributes: ["owners": "payments"])) == nil)
        #expect(Self.only(.shared, Self.secret(attributes: ["owners": "payments, payments ,"])) == nil)
        let many = Self.secret(locations: (0..<100).map { Self.file("/srv/\($0 % 70)/key") })
        #expect(Self.only(.shared, many)?.evidence.hasPrefix("seen in 70 places: /srv/0/key, /srv/1/key, /srv/2/key and 67 more")
            == true)
        #expect(FindingsEngine.distinctPlaces((0..<100).map { _ in Self.file("/same") }, repository: nil) == 1)
        let manyInOneRepository = (0..<100).map { Self.location("git", "https://github.com/acme/app/f\($0).env") }
        #expect(FindingsEngine.distinctPlaces(manyInOneRepository, repository: nil) == 1)
    }

    // MARK: - over-privileged

    @Test("over-privileged: critical for everything, high for administrative grants")
    func overPrivileged() throws {
        for privilege in ["*", "AdministratorAccess", "arn:aws:iam::aws:policy/AdministratorAccess", "*:*", "Action:*"] {
            #expect(Self.only(.overPrivileged, Self.secret(privileges: [privilege]))?.severity == .critical, "\(privilege)")
        }
        for privilege in ["IAMFullAccess", "arn:aws:iam::aws:policy/PowerUserAccess", "iam:*", "s3:*", "cluster-admin",
                          "administration:write", "admin:org", "repo", "organization_administration:write",
                          "billing:admin", "AmazonS3FullAccess", "roles/editor", "system:masters"] {
            #expect(Self.only(.overPrivileged, Self.secret(privileges: [privilege]))?.severity == .high, "\(privilege)")
        }
        for privilege in ["s3:GetObject", "read:org", "contents:read", "ReadOnlyAccess", "arn:aws:s3:::bucket/*",
                          "repo:status", "administration:read", "view", ""] {
            #expect(Self.only(.overPrivileged, Self.secret(privileges: [privilege])) == nil, "\(privilege)")
        }
        #expect(PrivilegeClassifier.classify("  S3:*\t") == .administrative)
        #expect(PrivilegeClassifier.classify(" ARN:AWS:IAM::AWS:POLICY/ADMINISTRATORACCESS ") == .unrestricted)
        #expect(PrivilegeClassifier.classify("roles/storage.admin") == .administrative)
        #expect(PrivilegeClassifier.classify("roles/owner") == .unrestricted)
        #expect(PrivilegeClassifier.classify("roles/viewer") == nil)
        let mixed = try #require(Self.only(.overPrivileged, Self.secret(privileges: ["s3:GetObject", "iam:*", "*"])))
        #expect(mixed.severity == .critical)
        #expect(mixed.evidence == "grants iam:*, *")
    }

    // MARK: - policy

    @Test("policy JSON: snake_case, defaults for missing keys, known teams not encoded, bad values rejected")
    func policyJSON() throws {
        let partial = try JSONDecoder().decode(FindingsPolicy.self, from: Data(#"{"rotation_days": 30}"#.utf8))
        #expect(partial == FindingsPolicy(rotationDays: 30))
        var policy = FindingsPolicy(knownTeams: ["payments"])
        let text = String(decoding: try JSONEncoder().encode(policy), as: UTF8.self)
        #expect(text.contains("\"max_jwt_svid_ttl_seconds\":3600"))
        #expect(!text.contains("payments"))
        policy.knownTeams = []
        #expect(try JSONDecoder().decode(FindingsPolicy.self, from: JSONEncoder().encode(policy)) == policy)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(FindingsPolicy.self, from: Data(#"{"critical_within_days": 40}"#.utf8))
        }
        #expect(FindingsPolicy().problems.isEmpty)
        #expect(FindingsPolicy(unusedDays: -1).problems.first?.contains("unused_days") == true)
        #expect(FindingsPolicy(maxSVIDTTLSeconds: 0).problems.first?.contains("max_svid_ttl_seconds") == true)
    }
}
