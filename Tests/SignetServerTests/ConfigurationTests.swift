import Testing
@testable import SignetServer

struct ConfigurationTests {
    @Test func parsesEverySection() throws {
        let config = try ServerConfiguration.parse(toml: """
            trust_domain = "corp.example"
            data_dir = "/var/lib/signet"
            listen = "0.0.0.0:9443"
            public_url = "https://signet.corp.example"
            [ca]
            key_type = "p384"
            [x509]
            default_ttl = "30m"
            max_ttl = "1h"
            [jwt]
            algorithm = "rs256"
            default_ttl = 120
            [tls]
            dns_names = ["signet.corp.example"]
            ip_addresses = ["10.0.0.5", "::1"]
            [governance]
            naming_rules = ["spiffe://{td}/{env}/{team}/{service}"]
            environments = ["prod", "dev"]
            [admin]
            ids = ["spiffe://corp.example/ops/alice"]
            [server]
            bundle_refresh_hint = "1m"
            """)
        try config.validate()
        #expect(config.trustDomain.name == "corp.example")
        #expect(config.listenHost == "0.0.0.0" && config.listenPort == 9443)
        #expect(config.caKeyType == .p384)
        #expect(config.x509DefaultTTL == 1800)
        #expect(config.jwtAlgorithm == "RS256" && config.jwtDefaultTTL == 120)
        #expect(config.bundleRefreshHint == 60)
        #expect(config.issuerURL == "https://signet.corp.example")
    }

    @Test func reportsEveryProblem() {
        do {
            _ = try ServerConfiguration.parse(toml: """
                trust_domain = "Bad Domain"
                listen = "nowhere"
                colour = "blue"
                [x509]
                max_ttl = "forever"
                [ca]
                upstream_cert = "/x.pem"
                """)
            Issue.record("bad configuration accepted")
        } catch let error as ConfigurationError {
            let text = error.description
            #expect(text.contains("trust_domain"))
            #expect(text.contains("listen 'nowhere'"))
            #expect(text.contains("unknown key 'colour'"))
            #expect(text.contains("'forever' is not a duration"))
            #expect(text.contains("given together"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func syntaxErrorsNameTheLine() {
        #expect(throws: ConfigurationError.self) { try ServerConfiguration.parse(toml: "trust_domain = \n") }
    }

    @Test func crossFieldValidation() throws {
        var config = ServerConfiguration()
        config.x509DefaultTTL = 7200
        config.jwtAlgorithm = "HS256"
        config.tlsIPAddresses = ["not-an-ip"]
        config.namingRules = ["nope"]
        #expect(throws: ConfigurationError.self) { try config.validate() }
        do { try config.validate() } catch {
            #expect(error.problems.count == 4)
        }
    }
}
