import Foundation
import SignetCore
import SignetPKI
import SignetStore

/// RFC 8693 token exchange: a subject token (an external OIDC token mapped by a trust rule, or a
/// JWT-SVID of this or a federated trust domain), optionally an actor token, in; a JWT-SVID, an
/// RFC 9068 access token or an X.509-SVID for the mapped identity out.
extension SignetAuthority {
    static let tokenExchangeGrant = "urn:ietf:params:oauth:grant-type:token-exchange"
    /// Most audiences a request may name, and longest audience value.
    static let maxAudiences = 32
    static let maxAudienceLength = 512

    func tokenExchange(_ form: OAuthForm) async throws(OAuthError) -> String {
        var details = ["grant": "token-exchange"]
        do {
            return try await performTokenExchange(form, details: &details)
        } catch {
            throw error.adding(details)
        }
    }

    private func performTokenExchange(_ form: OAuthForm, details: inout [String: String]) async throws(OAuthError)
        -> String
    {
        let subjectToken = try form.required("subject_token")
        let subjectType = try form.required("subject_token_type")
        guard TokenTypeURI.acceptedInputs.contains(subjectType) else {
            throw OAuthError.invalidRequest(
                "subject_token_type must be one of \(TokenTypeURI.acceptedInputs.sorted().joined(separator: ", "))")
        }
        let actorToken = form["actor_token"]
        if let actorType = form["actor_token_type"] {
            guard actorToken != nil else { throw OAuthError.invalidRequest("actor_token_type given without actor_token") }
            guard TokenTypeURI.acceptedInputs.contains(actorType) else {
                throw OAuthError.invalidRequest(
                    "actor_token_type must be one of \(TokenTypeURI.acceptedInputs.sorted().joined(separator: ", "))")
            }
        } else if actorToken != nil {
            throw OAuthError.invalidRequest("actor_token requires actor_token_type")
        }

        enum Requested { case jwt, accessToken, x509 }
        let requested: Requested
        switch form["requested_token_type"] {
        case nil, TokenTypeURI.jwt?: requested = .jwt
        case TokenTypeURI.accessToken?: requested = .accessToken
        case TokenTypeURI.x509SVID?: requested = .x509
        case let other?:
            throw OAuthError.invalidRequest(
                "requested_token_type '\(OAuthForm.printable(other))' is not supported: use \(TokenTypeURI.jwt), \(TokenTypeURI.accessToken) or \(TokenTypeURI.x509SVID)"
            )
        }
        let audiences = try Self.requestedAudiences(form)
        if requested != .x509, audiences.isEmpty {
            throw OAuthError.invalidRequest("audience (or resource) is required: name the service the token is for")
        }
        var csrKey: TokenIssuance.Kind?
        if requested == .x509 {
            guard actorToken == nil else {
                throw OAuthError.invalidRequest("delegation (actor_token) cannot be expressed in an X.509-SVID; request a JWT")
            }
            let csr = try form.required("csr")
            do {
                csrKey = .x509SVID(try CSRValidator.publicKey(fromPEM: csr))
            } catch {
                throw OAuthError.invalidRequest("csr: \(error.description)")
            }
        } else if form["csr"] != nil {
            throw OAuthError.invalidRequest("csr is only used with requested_token_type \(TokenTypeURI.x509SVID)")
        }

        let rules: ExchangeRules
        do {
            rules = try await exchange.currentRules()
        } catch {
            throw OAuthError(.serverError, "trust rules could not be loaded; retry", reason: "loading trust rules: \(error)")
        }
        let subject = try await resolveToken(subjectToken, role: "subject", rules: rules)
        guard subject.spiffeID.trustDomain == trustDomain else {
            // This server's keys speak only for its own trust domain: a federated domain's workload may act
            // (actor_token) for a subject of this domain, but is never re-issued here under its own ID.
            throw OAuthError.invalidGrant(
                "the subject token's identity is in trust domain \(subject.spiffeID.trustDomain); this server issues "
                    + "identities of \(trustDomain) only (a federated JWT-SVID may be the actor_token)",
                reason: "subject \(subject.spiffeID) is outside the trust domain")
        }
        details["issuer"] = subject.issuerForEvents
        if let sub = subject.externalSubject { details["external_sub"] = sub }
        if let rule = subject.rule { details["rule"] = rule.name }
        details["spiffe_id"] = subject.spiffeID.description
        if !audiences.isEmpty { details["audience"] = audiences.joined(separator: " ") }

        var actor: ResolvedToken?
        if let actorToken {
            let resolved = try await resolveToken(actorToken, role: "actor", rules: rules)
            actor = resolved
            details["actor"] = resolved.spiffeID.description
        }
        let act = try Delegation.issuedAct(
            subject: subject, actor: actor?.spiffeID, maxDepth: configuration.maxDelegationDepth)
        if act != nil { details["actor_chain"] = Delegation.chain(act).joined(separator: " <- ") }

        let now = Date()
        var ttl =
            requested == .x509
            ? min(configuration.x509DefaultTTL, configuration.x509MaxTTL)
            : min(configuration.jwtDefaultTTL, configuration.jwtMaxTTL)
        if let rule = subject.rule { ttl = min(ttl, rule.maxTTL) }
        if case .svid = subject.origin {
            // Re-exchanging a JWT-SVID must not extend it: the new credential ends when the subject token does.
            ttl = min(ttl, Int(subject.expiry.timeIntervalSince(now).rounded(.down)))
        }
        guard ttl >= 1 else {
            throw OAuthError.invalidGrant("subject token expires too soon", reason: "computed lifetime \(ttl)s")
        }

        var extra: [String: JSONValue] = [:]
        if let act { extra["act"] = act }
        if let rule = subject.rule { extra["signet_rule"] = .string(rule.name) }
        let kind: TokenIssuance.Kind
        switch requested {
        case .jwt: kind = .jwtSVID
        // RFC 9068 client_id: the party that requested the token, i.e. the actor when one acts, else the subject.
        case .accessToken: kind = .accessToken(clientID: (actor?.spiffeID ?? subject.spiffeID).description)
        case .x509: kind = csrKey!
        }
        let use = TokenUse(
            key: ReplayCache.key(issuer: subject.issuer, jti: subject.jti, token: subjectToken),
            expiresAt: subject.expiry.addingTimeInterval(JWTVerifier.maxLeeway))
        let issuedTo: String =
            switch subject.origin {
            case .external(let iss): "\(iss)#\(subject.externalSubject ?? "?")"
            case .svid: (actor?.spiffeID ?? subject.spiffeID).description
            }
        return try await issue(
            TokenIssuance(
                kind: kind, spiffeID: subject.spiffeID, audiences: audiences, ttl: ttl, extraClaims: extra,
                consuming: [use], issuedTo: issuedTo, reportIssuedTokenType: true, details: details))
    }

    /// `audience` and `resource` values (RFC 8693 §2.1, RFC 8707): bounded in number and length;
    /// a `resource` must be an absolute URI without a fragment.
    static func requestedAudiences(_ form: OAuthForm) throws(OAuthError) -> [String] {
        var out: [String] = []
        for value in form.all("audience") + form.all("resource") where !out.contains(value) {
            out.append(value)
        }
        guard out.count <= maxAudiences else {
            throw OAuthError.invalidTarget("at most \(maxAudiences) audience/resource values are accepted")
        }
        for value in out {
            guard value.utf8.count <= maxAudienceLength else {
                throw OAuthError.invalidTarget("audience values are limited to \(maxAudienceLength) bytes")
            }
            guard value.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) else {
                throw OAuthError.invalidTarget("audience values must not contain control characters")
            }
        }
        for resource in form.all("resource") {
            guard let url = URL(string: resource), url.scheme != nil, url.fragment == nil, url.host != nil else {
                throw OAuthError.invalidTarget("resource must be an absolute URI without a fragment")
            }
        }
        return out
    }
}
