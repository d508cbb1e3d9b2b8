import Foundation
import SignetCore
import SignetPKI
import TOMLKit

extension ServerConfiguration {
    /// Reads `signet.toml`. Unknown keys are errors (a typo must not silently fall back to a default).
    ///
    /// ```toml
    /// trust_domain = "example.org"
    /// data_dir = "./signet-data"
    /// listen = "127.0.0.1:8443"
    /// public_url = "https://signet.example.org:8443"
    /// [ca]         key_type = "p256"; name_constraints = true; upstream_cert, upstream_key, upstream_bundle
    /// [x509]       default_ttl = "1h"; max_ttl = "1h"
    /// [jwt]        algorithm = "ES256"; default_ttl = "5m"; max_ttl = "5m"
    /// [tls]        dns_names = ["localhost"]; ip_addresses = ["127.0.0.1"]; certificate_ttl = "24h"
    /// [governance] naming_rules = ["spiffe://{td}/{env}/{team}/{service}"]; environments = ["prod", "dev"]
    /// [admin]      ids = [...]; bootstrap_ttl = "24h"
    /// [store]      synchronous = "full"   # or "normal": no fsync per commit
    /// [agent]      svid_ttl = "1h"; x509pop_ca_bundle = "/etc/signet/node-ca.pem"
    /// [exchange]   jwks_min_refetch_seconds = "1m"; jwks_refresh_seconds = "15m"; jwks_max_age_seconds = "24h";
    ///              ca_bundle = "/etc/signet/issuer-ca.pem"; max_delegation_depth = 4
    /// [federation] ca_bundle = "/etc/signet/web-roots.pem"; default_refresh_seconds = "5m"; min_refresh_seconds = "5s"
    /// [server]     bundle_refresh_hint = "5m"; max_request_body = 65536; log_level = "info"
    /// ```
    public static func load(tomlFile path: String) throws -> ServerConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError(problems: ["cannot read \(path): \(error.localizedDescription)"])
        }
        return try parse(toml: text, source: path)
    }

    public static func parse(toml text: String, source: String = "config") throws -> ServerConfiguration {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigurationError(problems: ["\(source): \(error.description) at line \(error.source.begin.line)"])
        }
        var reader = TOMLReader(source: source)
        var config = ServerConfiguration()
        reader.check(table, allowed: ["trust_domain", "data_dir", "listen", "public_url", "ca", "x509", "jwt", "tls",
                                     "governance", "admin", "server", "agent", "store", "exchange", "federation"], section: "")
        if let td = reader.string(table, "trust_domain") {
            do { config.trustDomain = try TrustDomain(td) } catch { reader.problems.append("trust_domain: \(error.description)") }
        }
        if let dir = reader.string(table, "data_dir") { config.dataDirectory = dir }
        if let listen = reader.string(table, "listen") {
            if let (host, port) = parseListen(listen) {
                config.listenHost = host
                config.listenPort = port
            } else {
                reader.problems.append("listen '\(listen)' must be HOST:PORT, e.g. 127.0.0.1:8443")
            }
        }
        config.publicURL = reader.string(table, "public_url")
        if let ca = reader.table(table, "ca") {
            reader.check(
                ca, allowed: ["key_type", "upstream_cert", "upstream_key", "upstream_bundle", "name_constraints"],
                section: "ca")
            if let v = reader.bool(ca, "name_constraints") { config.caNameConstraints = v }
            if let kt = reader.string(ca, "key_type") {
                do { config.caKeyType = try KeyType(parsing: kt) } catch { reader.problems.append("ca.key_type: \(error)") }
            }
            let cert = reader.string(ca, "upstream_cert")
            let key = reader.string(ca, "upstream_key")
            if let cert, let key {
                config.upstream = UpstreamCA(certificatePath: cert, keyPath: key, bundlePath: reader.string(ca, "upstream_bundle"))
            } else if cert != nil || key != nil {
                reader.problems.append("ca.upstream_cert and ca.upstream_key must be given together")
            }
        }
        if let x509 = reader.table(table, "x509") {
            reader.check(x509, allowed: ["default_ttl", "max_ttl"], section: "x509")
            if let v = reader.duration(x509, "default_ttl") { config.x509DefaultTTL = v }
            if let v = reader.duration(x509, "max_ttl") { config.x509MaxTTL = v }
        }
        if let jwt = reader.table(table, "jwt") {
            reader.check(jwt, allowed: ["algorithm", "default_ttl", "max_ttl"], section: "jwt")
            if let v = reader.string(jwt, "algorithm") { config.jwtAlgorithm = v.uppercased() }
            if let v = reader.duration(jwt, "default_ttl") { config.jwtDefaultTTL = v }
            if let v = reader.duration(jwt, "max_ttl") { config.jwtMaxTTL = v }
        }
        if let tls = reader.table(table, "tls") {
            reader.check(tls, allowed: ["dns_names", "ip_addresses", "certificate_ttl"], section: "tls")
            if let v = reader.strings(tls, "dns_names") { config.tlsDNSNames = v }
            if let v = reader.strings(tls, "ip_addresses") { config.tlsIPAddresses = v }
            if let v = reader.duration(tls, "certificate_ttl") { config.serverCertificateTTL = v }
        }
        if let gov = reader.table(table, "governance") {
            reader.check(gov, allowed: ["naming_rules", "environments"], section: "governance")
            if let v = reader.strings(gov, "naming_rules") { config.namingRules = v }
            if let v = reader.strings(gov, "environments") { config.environments = v }
        }
        if let admin = reader.table(table, "admin") {
            reader.check(admin, allowed: ["ids", "bootstrap_ttl"], section: "admin")
            if let v = reader.strings(admin, "ids") { config.adminIDs = v }
            if let v = reader.duration(admin, "bootstrap_ttl") { config.bootstrapAdminTTL = v }
        }
        if let store = reader.table(table, "store") {
            reader.check(store, allowed: ["synchronous"], section: "store")
            if let v = reader.string(store, "synchronous") { config.storeDurability = v.lowercased() }
        }
        if let agent = reader.table(table, "agent") {
            reader.check(agent, allowed: ["svid_ttl", "x509pop_ca_bundle"], section: "agent")
            if let v = reader.duration(agent, "svid_ttl") { config.agentSVIDTTL = v }
            config.x509popCABundle = reader.string(agent, "x509pop_ca_bundle")
        }
        if let exchange = reader.table(table, "exchange") {
            reader.check(
                exchange,
                allowed: [
                    "jwks_min_refetch_seconds", "jwks_refresh_seconds", "jwks_max_age_seconds", "ca_bundle",
                    "max_delegation_depth",
                ], section: "exchange")
            if let v = reader.duration(exchange, "jwks_min_refetch_seconds") { config.exchangeJWKSMinRefetch = v }
            if let v = reader.duration(exchange, "jwks_refresh_seconds") { config.exchangeJWKSRefresh = v }
            if let v = reader.duration(exchange, "jwks_max_age_seconds") { config.exchangeJWKSMaxAge = v }
            if let v = reader.string(exchange, "ca_bundle") { config.exchangeCABundle = v }
            if let v = reader.int(exchange, "max_delegation_depth") { config.maxDelegationDepth = v }
        }
        if let federation = reader.table(table, "federation") {
            reader.check(
                federation, allowed: ["ca_bundle", "default_refresh_seconds", "min_refresh_seconds"],
                section: "federation")
            if let v = reader.string(federation, "ca_bundle") { config.federationCABundle = v }
            if let v = reader.duration(federation, "default_refresh_seconds") { config.federationDefaultRefresh = v }
            if let v = reader.duration(federation, "min_refresh_seconds") { config.federationMinRefresh = v }
        }
        if let server = reader.table(table, "server") {
            reader.check(server, allowed: ["bundle_refresh_hint", "max_request_body", "log_level"], section: "server")
            if let v = reader.duration(server, "bundle_refresh_hint") { config.bundleRefreshHint = v }
            if let v = reader.int(server, "max_request_body") { config.maxRequestBodyBytes = v }
            if let v = reader.string(server, "log_level") { config.logLevel = v }
        }
        if !reader.problems.isEmpty { throw ConfigurationError(problems: reader.problems) }
        return config
    }

    /// `HOST:PORT` or `[v6]:PORT`.
    public static func parseListen(_ text: String) -> (String, Int)? {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        var host = String(text[..<colon])
        guard let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port), !host.isEmpty else { return nil }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, port)
    }
}

/// Typed access to a TOML table that collects every problem instead of stopping at the first.
struct TOMLReader {
    let source: String
    var problems: [String] = []

    mutating func check(_ table: TOMLTable, allowed: Set<String>, section: String) {
        for key in table.keys where !allowed.contains(key) {
            let name = section.isEmpty ? key : "\(section).\(key)"
            problems.append("\(source): unknown key '\(name)' (allowed: \(allowed.sorted().joined(separator: ", ")))")
        }
    }

    mutating func string(_ table: TOMLTable, _ key: String) -> String? {
        guard let value = table[key] else { return nil }
        guard let s = value.string else {
            problems.append("\(source): '\(key)' must be a string")
            return nil
        }
        return s
    }

    mutating func bool(_ table: TOMLTable, _ key: String) -> Bool? {
        guard let value = table[key] else { return nil }
        guard let b = value.bool else {
            problems.append("\(source): '\(key)' must be true or false")
            return nil
        }
        return b
    }

    mutating func int(_ table: TOMLTable, _ key: String) -> Int? {
        guard let value = table[key] else { return nil }
        guard let i = value.int else {
            problems.append("\(source): '\(key)' must be an integer")
            return nil
        }
        return i
    }

    mutating func strings(_ table: TOMLTable, _ key: String) -> [String]? {
        guard let value = table[key] else { return nil }
        guard let array = value.array else {
            problems.append("\(source): '\(key)' must be an array of strings")
            return nil
        }
        var out: [String] = []
        for element in array {
            guard let s = element.string else {
                problems.append("\(source): '\(key)' must contain only strings")
                return nil
            }
            out.append(s)
        }
        return out
    }

    mutating func table(_ table: TOMLTable, _ key: String) -> TOMLTable? {
        guard let value = table[key] else { return nil }
        guard let t = value.table else {
            problems.append("\(source): '\(key)' must be a table ([\(key)])")
            return nil
        }
        return t
    }

    /// A duration given as "5m"/"1h" or as integer seconds.
    mutating func duration(_ table: TOMLTable, _ key: String) -> Int? {
        guard let value = table[key] else { return nil }
        if let i = value.int, i > 0 { return i }
        if let s = value.string {
            do { return try Lifetime.seconds(s) } catch { problems.append("\(source): '\(key)': \(error.description)") }
            return nil
        }
        problems.append("\(source): '\(key)' must be a duration such as \"5m\" or a number of seconds")
        return nil
    }
}
