/// Database and service URLs that carry a password in their userinfo (`scheme://user:password@host`).
enum ConnectionStringDetectors: DetectorFamily {
    static let postgres = database("database-url-postgres", "PostgreSQL")
    static let mysql = database("database-url-mysql", "MySQL/MariaDB")
    static let mongodb = database("database-url-mongodb", "MongoDB")
    static let redis = database("database-url-redis", "Redis")
    static let amqp = database("database-url-amqp", "AMQP (RabbitMQ)")
    static let urlBasicAuth = SecretDetector(
        id: "url-basic-auth", kind: .password, severity: .medium, specificity: .contextual,
        description: "URL with an embedded password (http/ftp/ssh/smtp/ldap userinfo).")

    private static func database(_ id: String, _ name: String) -> SecretDetector {
        SecretDetector(
            id: id, kind: .password, severity: .high, specificity: .structured,
            description: "\(name) connection URL with an embedded password.")
    }

    static var detectors: [SecretDetector] { [postgres, mysql, mongodb, redis, amqp, urlBasicAuth] }

    /// Scheme (lower-case, before any `+driver` suffix) to detector.
    private static let schemes: [([UInt8], SecretDetector)] = [
        ("postgres", postgres), ("postgresql", postgres), ("mysql", mysql), ("mariadb", mysql),
        ("mongodb", mongodb), ("redis", redis), ("rediss", redis), ("amqp", amqp), ("amqps", amqp),
        ("http", urlBasicAuth), ("https", urlBasicAuth), ("ftp", urlBasicAuth), ("ftps", urlBasicAuth),
        ("sftp", urlBasicAuth), ("ssh", urlBasicAuth), ("smtp", urlBasicAuth), ("smtps", urlBasicAuth),
        ("ldap", urlBasicAuth), ("ldaps", urlBasicAuth),
    ].map { (Array($0.0.utf8), $0.1) }

    static var urlRules: [URLRule] {
        [URLRule { url in
            guard let password = url.password, password.count >= 4,
                  !Placeholder.isPlaceholder(url.input.slice(password)),
                  !url.host.isEmpty else { return nil }
            var base = url.schemeStart
            while base < url.colon, url.input.bytes[base] != UInt8(ascii: "+") { base += 1 }
            let scheme = url.input.slice(url.schemeStart..<base).map { $0 | 0x20 }
            guard let detector = schemes.first(where: { $0.0 == scheme })?.1 else { return nil }
            // A password that is itself a variable reference or a port number is not a secret.
            if url.input.all(in: password, .digits) { return nil }
            return RuleMatch(
                detector, start: url.schemeStart, secret: password, end: url.host.upperBound, consumes: false)
        }]
    }
}
