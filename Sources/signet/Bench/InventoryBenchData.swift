import Foundation
import SignetCore

/// A deterministic, realistic mix of inventory items for `signet bench inventory`: secrets in
/// files and repositories, served certificates with their facts, private keys, Kubernetes service
/// accounts, SSH keys and IAM principals with privileges; owners stated by some sources, left to
/// ownership rules for others; expiries spread from a month ago to over a year ahead.
enum InventoryBenchData {
    static let teams = (0..<50).map { "team-\($0)" }

    /// Twenty rules over paths, namespaces and repositories, like a mid-size estate's.
    static func rules() throws -> [OwnershipRule] {
        try (0..<20).map { n in
            switch n % 3 {
            case 0: try OwnershipRule(id: "r\(n)", field: .path, pattern: "/srv/app\(n)*", team: teams[n])
            case 1: try OwnershipRule(id: "r\(n)", field: .namespace, pattern: "ns-\(n)", team: teams[n])
            default: try OwnershipRule(id: "r\(n)", field: .repository, pattern: "*github.com/acme/repo-\(n)*", team: teams[n])
            }
        }
    }

    static func hex(_ n: Int, salt: UInt64) -> String {
        // Two mixed 64-bit words, repeated: unique per n, spread like a hash (index pages fill evenly).
        var x = UInt64(n) &* 0x9E37_79B9_7F4A_7C15 ^ salt
        x ^= x >> 31
        x = x &* 0xBF58_476D_1CE4_E5B9
        let a = String(x, radix: 16)
        let b = String(UInt64(n) ^ salt, radix: 16)
        let word = String(repeating: "0", count: 16 - a.count) + a + String(repeating: "0", count: 16 - b.count) + b
        return word + word
    }

    static func item(_ n: Int, now: Date, salt: UInt64 = 0) -> InventoryItem {
        let day: TimeInterval = 86_400
        let seen = now.addingTimeInterval(-Double(n % 90) * day)
        // Owners are spread independently of the kind (n / 3), so every team owns every kind.
        let owner: String? = n % 5 < 3 ? teams[(n / 3) % 50] : nil
        let expires = now.addingTimeInterval(Double((n &* 7919) % 430 - 30) * day)
        let created = now.addingTimeInterval(-Double(n % 800) * day)
        switch n % 20 {
        case 0...5:
            return InventoryItem(
                kind: .apiToken, fingerprint: "hmac-sha256:" + hex(n, salt: salt), preview: "ghp_…\(n % 10_000)",
                detector: "github-pat",
                locations: [.init(type: "file", target: "/srv/app\(n % 500)/config/.env", line: 1 + n % 40, firstSeen: seen)],
                owner: owner, created: created)
        case 6, 7:
            return InventoryItem(
                kind: .cloudAccessKey, fingerprint: "hmac-sha256:" + hex(n, salt: salt), preview: "AKIA…\(n % 10_000)",
                detector: "aws-access-key-id",
                locations: [.init(type: "git", target: "https://github.com/acme/repo-\(n % 200)", line: 12,
                                  commit: String(hex(n, salt: 7).prefix(40)), firstSeen: seen)],
                owner: owner, created: created)
        case 8:
            return InventoryItem(
                kind: .password, fingerprint: "hmac-sha256:" + hex(n, salt: salt), preview: "pa…rd",
                detector: "database-url-password",
                locations: [.init(type: "file", target: "/srv/app\(n % 500)/settings.py", line: 30, firstSeen: seen)],
                owner: owner, created: created)
        case 9...13:
            let host = "svc-\(n).internal.example.org"
            return InventoryItem(
                kind: .x509Certificate, fingerprint: "sha256:" + hex(n, salt: salt),
                locations: [.init(type: "tls", target: host + ":443", firstSeen: seen)], owner: owner,
                environment: n % 3 == 0 ? "prod" : "staging", created: created, expires: expires,
                algorithm: n % 7 == 0 ? "RSA" : "EC", keySize: n % 7 == 0 ? (n % 49 == 0 ? 1024 : 2048) : 256,
                certificate: .init(
                    subject: "CN=" + host, issuer: "CN=Acme Internal CA", serial: String(n, radix: 16), sans: [host],
                    notBefore: created, notAfter: expires,
                    signatureAlgorithm: n % 97 == 0 ? "sha1WithRSAEncryption" : "ecdsa-with-SHA256",
                    selfSigned: n % 31 == 0, isCA: false))
        case 14...16:
            return InventoryItem(
                kind: .privateKey, fingerprint: "sha256:" + hex(n, salt: salt), detector: "pem-private-key",
                locations: [.init(type: "file", target: "/srv/app\(n % 500)/tls/key-\(n).pem", firstSeen: seen)],
                owner: owner, algorithm: "EC", keySize: 256, notes: n % 11 == 0 ? ["world-readable"] : [])
        case 17:
            return InventoryItem(
                kind: .kubernetesServiceAccount, fingerprint: "sha256:" + hex(n, salt: salt),
                locations: [.init(type: "account", target: "k8s:ns-\(n % 40)/serviceaccount/sa-\(n)", firstSeen: seen)],
                created: created, name: "ns-\(n % 40)/sa-\(n)", attributes: ["namespace": "ns-\(n % 40)"])
        case 18:
            return InventoryItem(
                kind: .sshKey, fingerprint: "sha256:" + hex(n, salt: salt), detector: "openssh-private-key",
                locations: [.init(type: "file", target: "/home/deploy\(n % 100)/.ssh/id_ed25519", firstSeen: seen)],
                owner: owner, created: created, algorithm: "Ed25519", keySize: 256)
        default:
            return InventoryItem(
                kind: .cloudAccessKey, fingerprint: "sha256:" + hex(n, salt: salt),
                locations: [.init(type: "account", target: "arn:aws:iam::123456789012:user/svc-\(n)", firstSeen: seen)],
                owner: owner, created: created, lastUsed: n % 3 == 0 ? nil : seen,
                privileges: n % 13 == 0 ? ["AdministratorAccess"] : ["AmazonS3ReadOnlyAccess"], name: "svc-\(n)",
                attributes: ["arn": "arn:aws:iam::123456789012:user/svc-\(n)", "account": "123456789012"])
        }
    }
}
