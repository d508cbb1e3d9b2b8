import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import SignetCore
@testable import SignetPKI
@testable import SignetServer

/// A stand-in external OIDC issuer for token endpoint tests: a key pair and GitHub- or
/// Kubernetes-shaped tokens signed with it. Rules pin its JWKS, so no network is involved.
struct TestIssuer: Sendable {
    let issuer: String
    let key: JWTSigningKey

    init(issuer: String = "https://issuer.test", algorithm: JWTAlgorithm = .es256, kid: String = "issuer-key-1") throws {
        self.issuer = issuer
        self.key = try JWTSigningKey.generate(algorithm, kid: kid)
    }

    /// The issuer's public keys as JWKS text.
    var jwks: String {
        struct Set: Encodable { let keys: [JWK] }
        return String(decoding: try! JSONEncoder().encode(Set(keys: [key.publicKey.jwk(use: "sig", includeAlg: true)])), as: UTF8.self)
    }

    /// GitHub Actions-shaped claims for `repository` ("owner/name"), valid for five minutes.
    func githubClaims(repository: String = "acme/api", audience: String = "signet", now: Date = Date())
        -> [String: JSONValue]
    {
        let owner = String(repository.split(separator: "/").first ?? "")
        return [
            "iss": .string(issuer), "aud": .string(audience),
            "sub": .string("repo:\(repository):ref:refs/heads/main"),
            "repository": .string(repository), "repository_owner": .string(owner), "repository_owner_id": .string("4242"),
            "ref": .string("refs/heads/main"), "jti": .string(UUID().uuidString),
            "iat": .number(now.timeIntervalSince1970.rounded(.down)),
            "nbf": .number(now.timeIntervalSince1970.rounded(.down)),
            "exp": .number(now.timeIntervalSince1970.rounded(.down) + 300),
        ]
    }

    /// Signs claims under a header GitHub would send (typ JWT, x5t, kid), or a custom header.
    func sign(_ claims: [String: JSONValue], header: String? = nil, with signingKey: JWTSigningKey? = nil) -> String {
        let signer = signingKey ?? key
        let headerText =
            header ?? #"{"alg":"\#(signer.algorithm.rawValue)","kid":"\#(signer.kid)","typ":"JWT","x5t":"dGh1bWI"}"#
        let input =
            Base64URL.encode(Array(headerText.utf8)) + "." + Base64URL.encode(Array(JSONValue.object(claims).description.utf8))
        let signature = try! signer.signature(for: Array(input.utf8))
        return input + "." + Base64URL.encode(signature)
    }

    func githubToken(repository: String = "acme/api", audience: String = "signet", edit: (inout [String: JSONValue]) -> Void = { _ in })
        -> String
    {
        var claims = githubClaims(repository: repository, audience: audience)
        edit(&claims)
        return sign(claims)
    }
}

extension TestServer {
    struct TokenReply {
        let status: UInt
        let body: Data
        let headers: HTTPHeaders
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        var error: String? { json["error"] as? String }
        var errorDescription: String { json["error_description"] as? String ?? "" }
        var accessToken: String? { json["access_token"] as? String }
    }

    /// `POST /oauth2/token` with a form body (parameters in order, values percent-encoded).
    func token(
        _ parameters: [(String, String)], client: HTTPClient? = nil,
        contentType: String = "application/x-www-form-urlencoded", rawBody: String? = nil
    ) async throws -> TokenReply {
        var request = HTTPClientRequest(url: baseURL + "/oauth2/token")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: contentType)
        let body = rawBody ?? parameters.map { "\(Self.formEncode($0.0))=\(Self.formEncode($0.1))" }.joined(separator: "&")
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await (client ?? anonymous).execute(request, timeout: .seconds(30))
        let collected = try await response.body.collect(upTo: 8 << 20)
        return TokenReply(status: response.status.code, body: Data(buffer: collected), headers: response.headers)
    }

    static func formEncode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)..<Unicode.Scalar(128)))
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed)!
    }

    static func exchangeParameters(
        subject: String, audience: String? = "https://api.example.org", requested: String? = nil
    ) -> [(String, String)] {
        var p: [(String, String)] = [
            ("grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"),
            ("subject_token", subject),
            ("subject_token_type", "urn:ietf:params:oauth:token-type:jwt"),
        ]
        if let audience { p.append(("audience", audience)) }
        if let requested { p.append(("requested_token_type", requested)) }
        return p
    }

    /// Creates a trust rule through the admin API with a pinned JWKS (lint findings accepted).
    @discardableResult
    func addRule(
        name: String, issuer: TestIssuer, audience: String = "signet",
        template: String = "spiffe://example.org/ci/github/{repository_owner}/{repository#2}",
        condition: String? = #"claims.repository_owner == "acme""#, maxTTL: Int = 600, allowedActors: [String] = []
    ) async throws -> Reply {
        var body: [String: Any] = [
            "name": name, "issuer": issuer.issuer, "jwks": issuer.jwks, "audiences": [audience],
            "subject_template": template, "max_ttl": maxTTL, "owner": "platform", "purpose": "token endpoint tests",
            "allowed_actors": allowedActors, "accept_risk": "test fixture",
        ]
        if let condition { body["condition"] = condition }
        let reply = try await request(admin, .POST, "/v1/trust-rules", json: body)
        guard reply.status == 201 else {
            throw CLIFailure("creating trust rule \(name) failed: \(reply.status) \(String(decoding: reply.body, as: UTF8.self))")
        }
        return reply
    }

    /// A JWT-SVID minted through the admin API (an entry for the ID is created first).
    func mintJWTSVID(_ id: String, audience: [String]) async throws -> String {
        let entry = try await request(
            admin, .POST, "/v1/entries",
            json: ["spiffe_id": id, "owner": "agents", "purpose": "delegation tests", "selectors": ["unix:uid:\(Int.random(in: 1000...60000))"]])
        guard entry.status == 201 || entry.status == 409 else {
            throw CLIFailure("creating entry for \(id) failed: \(String(decoding: entry.body, as: UTF8.self))")
        }
        let minted = try await request(admin, .POST, "/v1/svids/jwt", json: ["spiffe_id": id, "audience": audience, "ttl": 300])
        guard let token = minted.json["token"] as? String else {
            throw CLIFailure("minting a JWT-SVID for \(id) failed: \(String(decoding: minted.body, as: UTF8.self))")
        }
        return token
    }

    /// The server's published JWT keys (`GET /keys`), to verify what the token endpoint issued.
    func publishedKeys() async throws -> [JWTPublicKey] {
        let reply = try await request(anonymous, .GET, "/keys")
        return try JWKSet.parse(Array(reply.body), mode: .lenient).keys
    }

    /// Verifies an issued JWT with the published keys and returns its header and claims.
    func verifyIssued(_ token: String) async throws -> VerifiedExternalJWT {
        try ExternalJWTVerifier(keys: try await publishedKeys()).verify(token: token, issuer: baseURL)
    }

    /// DER of the first certificate of a PEM chain (the leaf).
    static func leafDER(ofChain pem: String) throws -> [UInt8] {
        guard let block = pem.components(separatedBy: "-----END CERTIFICATE-----").first,
            let der = Data(base64Encoded: block.components(separatedBy: "\n").filter { !$0.hasPrefix("-----") }.joined())
        else { throw CLIFailure("no certificate in PEM chain") }
        return Array(der)
    }

    /// `exchange.token` events, oldest first.
    func exchangeEvents() async throws -> [[String: Any]] {
        let reply = try await request(admin, .GET, "/v1/events?action=exchange.token")
        return reply.json["events"] as? [[String: Any]] ?? []
    }
}
