import Foundation
import SignetCore
import SignetPKI

/// Everything `signet server` needs to start. Defaults are the secure ones:
/// loopback listener, X.509-SVID TTL 1 h, JWT-SVID TTL 5 min, P-256 CA keys.
public struct ServerConfiguration: Sendable {
    public var trustDomain: TrustDomain
    public var dataDirectory: String
    public var listenHost: String
    public var listenPort: Int
    /// Base URL clients use; the OIDC issuer. Defaults to `https://localhost:<port>`.
    public var publicURL: String?
    public var caKeyType: KeyType
    public var upstream: UpstreamCA?
    /// URI name constraints on the intermediate (on by default; applies when the intermediate is created).
    public var caNameConstraints: Bool
    public var x509DefaultTTL: Int
    public var x509MaxTTL: Int
    public var jwtDefaultTTL: Int
    public var jwtMaxTTL: Int
    public var jwtAlgorithm: String
    /// Names in the server's TLS certificate besides its SPIFFE ID.
    public var tlsDNSNames: [String]
    public var tlsIPAddresses: [String]
    public var serverCertificateTTL: Int
    public var namingRules: [String]
    public var environments: [String]
    /// SPIFFE IDs (besides `spiffe://TD/signet/admin/...`) allowed to use the admin API.
    public var adminIDs: [String]
    public var bootstrapAdminTTL: Int
    /// Lifetime of node agents' own X.509-SVIDs (they renew at half-life).
    public var agentSVIDTTL: Int
    /// PEM file of the CAs that sign node certificates for x509pop attestation; nil disables x509pop.
    /// Read on each attestation, so the file can be rotated without a restart.
    public var x509popCABundle: String?
    public var bundleRefreshHint: Int
    public var maxRequestBodyBytes: Int
    public var logLevel: String
    /// `full` (default): every issued credential's record is fsynced before it is returned.
    public var storeDurability: String
    /// Token exchange: an issuer's JWKS is refetched on an unknown kid at most this often (seconds).
    public var exchangeJWKSMinRefetch: Int
    /// Token exchange: cached issuer keys are refreshed after this many seconds.
    public var exchangeJWKSRefresh: Int
    /// Token exchange: while an issuer is unreachable its cached keys are used up to this age (seconds), then refused.
    public var exchangeJWKSMaxAge: Int
    /// Extra PEM roots trusted when fetching issuers' discovery documents and JWKS (besides the system roots).
    public var exchangeCABundle: String?
    /// Longest delegation chain (`act` nesting) a token exchange may produce.
    public var maxDelegationDepth: Int
    /// Extra PEM roots trusted for `https_web` federation bundle endpoints (besides the system roots).
    public var federationCABundle: String?
    /// Poll interval for a peer that publishes no refresh hint (seconds).
    public var federationDefaultRefresh: Int
    /// Lower bound for polling a peer, whatever its refresh hint says (seconds).
    public var federationMinRefresh: Int

    public init(trustDomain: TrustDomain = try! TrustDomain("signet.internal")) {
        self.trustDomain = trustDomain
        dataDirectory = "./signet-data"
        listenHost = "127.0.0.1"
        listenPort = 8443
        publicURL = nil
        caKeyType = .p256
        upstream = nil
        caNameConstraints = true
        x509DefaultTTL = 3600
        x509MaxTTL = 3600
        jwtDefaultTTL = 300
        jwtMaxTTL = 300
        jwtAlgorithm = "ES256"
        tlsDNSNames = ["localhost"]
        tlsIPAddresses = ["127.0.0.1"]
        serverCertificateTTL = 24 * 3600
        namingRules = []
        environments = []
        adminIDs = []
        bootstrapAdminTTL = 24 * 3600
        agentSVIDTTL = 3600
        x509popCABundle = nil
        bundleRefreshHint = 300
        maxRequestBodyBytes = 64 * 1024
        logLevel = "info"
        storeDurability = "full"
        exchangeJWKSMinRefetch = 60
        exchangeJWKSRefresh = 900
        exchangeJWKSMaxAge = 86400
        exchangeCABundle = nil
        maxDelegationDepth = 4
        federationCABundle = nil
        federationDefaultRefresh = 300
        federationMinRefresh = 5
    }

    /// The OIDC issuer and base of every URL Signet publishes.
    public var issuerURL: String {
        if let publicURL { return publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL }
        return "https://localhost:\(listenPort)"
    }

    public var databasePath: String { dataDirectory + "/signet.db" }
    public var caDirectory: String { dataDirectory + "/ca" }
    public var jwtDirectory: String { dataDirectory + "/jwt" }
    public var tlsDirectory: String { dataDirectory + "/tls" }
    public var adminDirectory: String { dataDirectory + "/admin" }

    /// Checks cross-field rules; every problem is reported, not just the first.
    public func validate() throws(ConfigurationError) {
        var problems: [String] = []
        if !(1...65535).contains(listenPort) && listenPort != 0 { problems.append("listen port \(listenPort) is out of range") }
        if x509DefaultTTL > x509MaxTTL { problems.append("x509.default_ttl exceeds x509.max_ttl") }
        if jwtDefaultTTL > jwtMaxTTL { problems.append("jwt.default_ttl exceeds jwt.max_ttl") }
        if x509MaxTTL < 60 { problems.append("x509.max_ttl must be at least 1m") }
        if jwtMaxTTL < 10 { problems.append("jwt.max_ttl must be at least 10s") }
        if exchangeJWKSMinRefetch < 1 { problems.append("exchange.jwks_min_refetch_seconds must be at least 1s") }
        if exchangeJWKSRefresh < exchangeJWKSMinRefetch {
            problems.append("exchange.jwks_refresh_seconds must be at least exchange.jwks_min_refetch_seconds")
        }
        if exchangeJWKSMaxAge < exchangeJWKSRefresh {
            problems.append("exchange.jwks_max_age_seconds must be at least exchange.jwks_refresh_seconds")
        }
        if !(1...16).contains(maxDelegationDepth) { problems.append("exchange.max_delegation_depth must be 1...16") }
        if federationMinRefresh < 1 { problems.append("federation.min_refresh_seconds must be at least 1s") }
        if federationDefaultRefresh < federationMinRefresh {
            problems.append("federation.default_refresh_seconds must be at least federation.min_refresh_seconds")
        }
        if !["ES256", "ES384", "RS256", "PS256"].contains(jwtAlgorithm) {
            problems.append("jwt.algorithm '\(jwtAlgorithm)' must be one of ES256, ES384, RS256, PS256")
        }
        for name in tlsDNSNames where !DNSName.isValid(name) { problems.append("tls.dns_names: '\(name)' is not a host name") }
        for ip in tlsIPAddresses where IPAddress.parse(ip) == nil { problems.append("tls.ip_addresses: '\(ip)' is not an IP address") }
        for rule in namingRules {
            do { _ = try NamingRule(rule, defaultTrustDomain: trustDomain) } catch { problems.append(error.description) }
        }
        for id in adminIDs {
            do {
                let parsed = try SPIFFEID(id)
                if parsed.trustDomain != trustDomain { problems.append("admin id \(id) is not in trust domain \(trustDomain)") }
            } catch { problems.append("admin id: \(error.description)") }
        }
        if let publicURL, !(publicURL.hasPrefix("https://")) { problems.append("public_url must start with https://") }
        if agentSVIDTTL < 60 || agentSVIDTTL > 7 * 86400 { problems.append("agent.svid_ttl must be between 1m and 7d") }
        if !["full", "normal"].contains(storeDurability) {
            problems.append("store.synchronous '\(storeDurability)' must be full or normal")
        }
        if maxRequestBodyBytes < 1024 { problems.append("max_request_body must be at least 1024 bytes") }
        if !problems.isEmpty { throw ConfigurationError(problems: problems) }
    }

    public func governancePolicy() throws -> GovernancePolicy {
        GovernancePolicy(
            trustDomain: trustDomain,
            namingRules: try namingRules.map { try NamingRule($0, defaultTrustDomain: trustDomain) },
            maxX509TTL: x509MaxTTL, maxJWTTTL: jwtMaxTTL, allowedEnvironments: environments)
    }
}

public struct ConfigurationError: Error, CustomStringConvertible {
    public let problems: [String]
    public init(problems: [String]) { self.problems = problems }
    public var description: String {
        "invalid configuration:\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}
