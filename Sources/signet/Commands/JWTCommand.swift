import ArgumentParser
import Foundation
import SignetCore
import SignetPKI
import X509

struct JWTCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jwt", abstract: "JWT-SVIDs.", subcommands: [Mint.self, Verify.self])

    struct Mint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Mint a JWT-SVID for a registered SPIFFE ID and print it.")
        @OptionGroup var client: ClientOptions
        @Option(help: "SPIFFE ID (the token's sub).") var spiffeID: String
        @Option(name: .customLong("audience"), help: "Audience (repeatable; at least one).") var audiences: [String] = []
        @Option(help: "Lifetime, at most the entry's JWT TTL (e.g. 2m).") var ttl: String?
        @Option(help: "table prints the token only; json prints token, expiry and entry.") var output: OutputFormat = .table

        func validate() throws {
            guard !audiences.isEmpty else { throw ValidationError("--audience is required (who the token is for)") }
        }

        func run() async throws {
            var body: [String: Any] = ["spiffe_id": spiffeID, "audience": audiences]
            if let ttl { body["ttl"] = ttl }
            let data = try await withAdminClient(client) { try await $0.sendJSON(.POST, "/v1/svids/jwt", body: body) }
            if output == .json {
                print(String(decoding: data, as: UTF8.self))
            } else {
                let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
                print(object?["token"] as? String ?? "")
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify a JWT-SVID against the trust bundle. Exit 0 when valid, 1 with the reason otherwise.",
            discussion: """
                Uses the same verifier as the server: algorithm allow-list bound to the key, exact kid,
                exp/nbf with 30 s leeway, audience required. The bundle comes from the server's public
                /bundle endpoint, or from --bundle FILE (SPIFFE bundle JSON) with no network at all.
                """)
        @OptionGroup var client: ClientOptions
        @Argument(help: "The token (compact JWS), or - to read it from standard input.") var token: String
        @Option(help: "Audience the token must be for.") var audience: String
        @Option(help: "SPIFFE bundle JSON file to verify with, instead of fetching /bundle.") var bundle: String?
        @Option(help: "Trust domain of the bundle (default: that of the admin credential, or the token's sub).")
        var trustDomain: String?
        @Option(help: "Output format.") var output: OutputFormat = .table

        func run() async throws {
            var token = self.token
            if token == "-" { token = (readLine(strippingNewline: true) ?? "").trimmingCharacters(in: .whitespaces) }
            let td = try resolveTrustDomain(token: token)
            let bundleJSON: [UInt8]
            if let bundle {
                guard let data = FileManager.default.contents(atPath: bundle) else { throw CLIError("cannot read \(bundle)") }
                bundleJSON = Array(data)
            } else {
                bundleJSON = Array(try await withAdminClient(client, authenticate: false) { try await $0.send(.GET, "/bundle") })
            }
            let trust = try TrustBundle.parse(json: bundleJSON, trustDomain: td)
            let verifier = try JWTVerifier(trustDomain: td, keys: trust.jwtAuthorities)
            do {
                let verified = try verifier.verify(token: token, audience: audience)
                let chain = Self.delegationChain(verified.claims.extra["act"])
                if output == .json {
                    let object: [String: Any] = [
                        "valid": true, "spiffe_id": verified.spiffeID.description, "audience": verified.claims.aud,
                        "expires_at": ISO8601DateFormatter().string(from: verified.expiry), "kid": verified.header.kid,
                        "alg": verified.header.algorithm.rawValue, "delegation": chain,
                    ]
                    print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
                } else {
                    print("valid: \(verified.spiffeID) aud=\(verified.claims.aud.joined(separator: ",")) expires \(ISO8601DateFormatter().string(from: verified.expiry)) (kid \(verified.header.kid), \(verified.header.algorithm.rawValue))")
                    if !chain.isEmpty { print("delegation: " + chain.joined(separator: " -> ")) }
                }
            } catch {
                if output == .json {
                    let object: [String: Any] = ["valid": false, "reason": "\(error)"]
                    print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
                } else {
                    FileHandle.standardError.write(Data("invalid: \(error)\n".utf8))
                }
                throw ExitCode(1)
            }
        }

        /// The RFC 8693 `act` chain, outermost (current) actor first: `act.sub`, then `act.act.sub`, ...
        /// A member that is not an object with a string `sub` ends the chain (shown as `?`).
        static func delegationChain(_ act: JSONValue?) -> [String] {
            var chain: [String] = []
            var current = act
            while let value = current, chain.count < 64 {
                guard let object = value.objectValue, let sub = object["sub"]?.stringValue else {
                    chain.append("?")
                    break
                }
                chain.append(sub)
                current = object["act"]
            }
            return chain
        }

        private func resolveTrustDomain(token: String) throws -> TrustDomain {
            if let trustDomain {
                do { return try TrustDomain(trustDomain) } catch { throw ValidationError("--trust-domain: \(error.description)") }
            }
            if let pem = try? String(contentsOfFile: client.certPath, encoding: .utf8),
                let leaf = try? PEM.certificates(from: pem).first,
                let names = try? leaf.extensions.subjectAlternativeNames
            {
                for case .uniformResourceIdentifier(let uri) in names {
                    if let id = try? SPIFFEID(uri) { return id.trustDomain }
                }
            }
            if let unverified = try? JWTVerifier.decodeUnverified(token), case .string(let sub)? = unverified.payload["sub"],
                let id = try? SPIFFEID(sub)
            {
                return id.trustDomain
            }
            throw ValidationError("cannot tell the trust domain: pass --trust-domain")
        }
    }
}
