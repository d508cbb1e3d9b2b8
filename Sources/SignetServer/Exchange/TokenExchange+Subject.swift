import Foundation
import SignetCore
import SignetPKI

/// A subject or actor token that was verified and mapped to a SPIFFE ID.
struct ResolvedToken: Sendable {
    enum Origin: Sendable {
        /// From an external issuer, mapped by a trust rule.
        case external(issuer: String)
        /// A JWT-SVID of this trust domain or of a federated one.
        case svid(TrustDomain)
    }

    let spiffeID: SPIFFEID
    let origin: Origin
    /// Every verified claim (`may_act`, `act`, `signet_rule`, ...).
    let claims: [String: JSONValue]
    let expiry: Date
    let issuer: String?
    let jti: String?
    /// The rule that mapped the token (external), or that a Signet-issued token names in `signet_rule`.
    /// Its `allowedActors` may authorise delegation and its `maxTTL` caps what is issued.
    let rule: TrustRule?

    /// For events: the external `sub` (external tokens only).
    var externalSubject: String? {
        if case .external = origin { return claims["sub"]?.stringValue }
        return nil
    }

    var issuerForEvents: String {
        switch origin {
        case .external(let issuer): issuer
        case .svid(let td): td.idString
        }
    }
}

/// How an external token fared against every rule for its issuer (token exchange and `trust test`).
struct ExternalEvaluation: Sendable {
    struct RuleResult: Sendable {
        let rule: TrustRule
        /// Nil when the rule's keys could not verify the token; then `reasons` says why.
        let spiffeID: SPIFFEID?
        let reasons: [String]
    }

    let issuer: String
    /// "valid", or why the signature (or expiry, or key lookup) failed for the first key source.
    let signature: String
    /// The first verification failure, for a public description.
    let verificationError: ExternalJWTError?
    let keysUnavailable: String?
    let results: [RuleResult]
    let verified: VerifiedExternalJWT?
}

extension SignetAuthority {
    /// The token endpoint's URL: tokens meant for this server's token endpoint name it (or the issuer) as `aud`.
    var tokenEndpointURL: String { issuer + "/oauth2/token" }

    /// Verifies a subject or actor token and maps it to a SPIFFE ID.
    ///
    /// A token whose (unverified) `sub` is a SPIFFE ID of this trust domain or a federated one, and
    /// whose kid is in that domain's JWT bundle, is a JWT-SVID: it is verified with that domain's keys
    /// only and must be addressed to this server (`aud` = issuer URL or token endpoint URL). Any other
    /// token must come from an issuer some trust rule names; exactly one SPIFFE ID must result.
    func resolveToken(_ token: String, role: String, rules: ExchangeRules) async throws(OAuthError) -> ResolvedToken {
        let parsed: ExternalJWT
        do {
            parsed = try ExternalJWT(parsing: token)
        } catch {
            throw OAuthError.invalidRequest("\(role)_token is not a JWT", reason: "\(role)_token: \(error)")
        }
        if let svid = svidDomain(of: parsed) {
            return try resolveSVID(token, parsed: parsed, trustDomain: svid.trustDomain, keys: svid.keys, role: role,
                rules: rules)
        }
        guard let iss = parsed.issuer else {
            throw OAuthError.invalidGrant(
                "\(role) token is not accepted: it has no 'iss' and is not a JWT-SVID of a trusted domain",
                reason: "\(role) token has no iss and is no JWT-SVID of this or a federated trust domain")
        }
        let evaluation = await evaluateExternal(parsed, issuer: iss, rules: rules)
        let details = ["issuer": iss, "external_sub": parsed.claims["sub"]?.stringValue ?? ""]
        if evaluation.results.isEmpty {
            throw OAuthError.invalidGrant(
                "no trust rule accepts this \(role) token", reason: "no trust rule has issuer \(iss)"
            ).adding(details)
        }
        guard let verified = evaluation.verified else {
            if let unavailable = evaluation.keysUnavailable {
                throw OAuthError.invalidGrant(
                    "the \(role) token's issuer keys are unavailable; retry later", reason: unavailable
                ).adding(details)
            }
            throw OAuthError.invalidGrant(
                "\(role) token " + Self.publicReason(evaluation.verificationError), reason: evaluation.signature
            ).adding(details)
        }
        let matched = evaluation.results.filter { $0.spiffeID != nil }
        let ids = Set(matched.compactMap(\.spiffeID))
        let summary = evaluation.results.map { result in
            "\(result.rule.name): " + (result.spiffeID.map { "-> \($0)" } ?? result.reasons.joined(separator: "; "))
        }.joined(separator: " | ")
        guard let first = matched.first, let id = first.spiffeID else {
            throw OAuthError.invalidGrant("no trust rule accepts this \(role) token", reason: "no rule matched: " + summary)
                .adding(details)
        }
        guard ids.count == 1 else {
            throw OAuthError.invalidGrant(
                "\(role) token is ambiguous: several trust rules map it to different identities",
                reason: "ambiguous: rules map it to \(ids.count) different SPIFFE IDs: " + summary
            ).adding(details)
        }
        return ResolvedToken(
            spiffeID: id, origin: .external(issuer: iss), claims: verified.claims, expiry: verified.expiry,
            issuer: iss, jti: verified.jti, rule: first.rule)
    }

    /// The trust domain and keys when `token` looks like a JWT-SVID this server can verify.
    private func svidDomain(of token: ExternalJWT) -> (trustDomain: TrustDomain, keys: [JWTPublicKey])? {
        guard let sub = token.claims["sub"]?.stringValue, sub.hasPrefix("spiffe://"), let id = try? SPIFFEID(sub),
            let kid = token.keyID
        else { return nil }
        let keys = id.trustDomain == trustDomain ? jwtKeys.publicKeys : federatedJWTKeys(for: id.trustDomain)
        guard keys.contains(where: { $0.kid.utf8.elementsEqual(kid.utf8) }) else { return nil }
        return (id.trustDomain, keys)
    }

    private func resolveSVID(
        _ token: String, parsed: ExternalJWT, trustDomain td: TrustDomain, keys: [JWTPublicKey], role: String,
        rules: ExchangeRules
    ) throws(OAuthError) -> ResolvedToken {
        let details = ["issuer": td.idString]
        let accepted = [issuer, tokenEndpointURL]
        let audiences: [String] =
            switch parsed.claims["aud"] {
            case .string(let one)?: [one]
            case .array(let many)?: many.compactMap(\.stringValue)
            default: []
            }
        guard let audience = accepted.first(where: { want in audiences.contains { $0.utf8.elementsEqual(want.utf8) } })
        else {
            throw OAuthError.invalidGrant(
                "\(role) token's audience must include \(issuer) or \(tokenEndpointURL)",
                reason: "\(role) JWT-SVID audience \(audiences) names neither \(issuer) nor \(tokenEndpointURL)"
            ).adding(details)
        }
        let verified: VerifiedJWT
        do {
            verified = try JWTVerifier(trustDomain: td, keys: keys).verify(token: token, audience: audience)
        } catch let error as JWTValidationError {
            throw OAuthError.invalidGrant(
                "\(role) token " + Self.publicReason(.token(error)), reason: "\(role) JWT-SVID: \(error)"
            ).adding(details)
        } catch {
            throw OAuthError(.serverError, "internal error", reason: "\(role) JWT-SVID verifier: \(error)")
        }
        // Only this server's own tokens may name one of its rules; a federated domain's rule names mean nothing here.
        var rule: TrustRule?
        if td == trustDomain, let name = verified.claims.extra["signet_rule"]?.stringValue {
            rule = rules.byName[name]
        }
        return ResolvedToken(
            spiffeID: verified.spiffeID, origin: .svid(td), claims: parsed.claims, expiry: verified.expiry,
            issuer: verified.claims.iss, jti: verified.claims.jti, rule: rule)
    }

    /// Verifies an external token with each key source its issuer's rules use, then evaluates every rule.
    func evaluateExternal(_ token: ExternalJWT, issuer iss: String, rules: ExchangeRules) async -> ExternalEvaluation {
        let candidates = rules.rules(issuer: iss)
        var outcomes: [String: Result<VerifiedExternalJWT, ExternalJWTError>] = [:]
        var unavailable: [String: String] = [:]
        var firstError: ExternalJWTError?
        var firstFailure: String?
        var keysUnavailable: String?
        var verified: VerifiedExternalJWT?
        var results: [ExternalEvaluation.RuleResult] = []
        // The header alone can condemn a token (alg none, HS*, jku, ...): refuse it before any key is
        // fetched, so hostile tokens cannot make Signet contact the issuer.
        do {
            _ = try ExternalJWTVerifier.checkHeader(token.header)
        } catch {
            return ExternalEvaluation(
                issuer: iss, signature: error.description, verificationError: error, keysUnavailable: nil,
                results: candidates.map { .init(rule: $0.rule, spiffeID: nil, reasons: ["token not verified: \(error)"]) },
                verified: nil)
        }
        for compiled in candidates {
            let group: String
            let verifier: ExternalJWTVerifier?
            switch compiled.keys {
            case .discovery:
                group = "discovery"
                if outcomes[group] == nil, unavailable[group] == nil {
                    do {
                        let v = try await issuerKeysVerifier(issuer: compiled.rule.issuer, kid: token.keyID)
                        outcomes[group] = Result(catching: { () throws(ExternalJWTError) in try v.verify(token, issuer: iss) })
                    } catch {
                        unavailable[group] = error.description
                    }
                }
                verifier = nil
            case .pinned(let pinned):
                group = "pinned:" + compiled.rule.id
                verifier = pinned
            case .invalid(let why):
                group = "invalid:" + compiled.rule.id
                unavailable[group] = why
                verifier = nil
            }
            if let verifier, outcomes[group] == nil {
                outcomes[group] = Result(catching: { () throws(ExternalJWTError) in try verifier.verify(token, issuer: iss) })
            }
            if let why = unavailable[group] {
                keysUnavailable = keysUnavailable ?? why
                firstFailure = firstFailure ?? why
                results.append(.init(rule: compiled.rule, spiffeID: nil, reasons: [why]))
                continue
            }
            switch outcomes[group]! {
            case .failure(let error):
                firstError = firstError ?? error
                firstFailure = firstFailure ?? error.description
                results.append(.init(rule: compiled.rule, spiffeID: nil, reasons: ["token not verified: \(error)"]))
            case .success(let token):
                verified = verified ?? token
                let evaluation = compiled.evaluator.evaluate(claims: token.claims)
                results.append(.init(rule: compiled.rule, spiffeID: evaluation.spiffeID, reasons: evaluation.reasons))
            }
        }
        let signature = verified != nil ? "valid" : (firstFailure ?? "no trust rule has issuer \(iss)")
        return ExternalEvaluation(
            issuer: iss, signature: signature, verificationError: verified == nil ? firstError : nil,
            keysUnavailable: verified == nil && firstError == nil ? keysUnavailable : nil, results: results,
            verified: verified)
    }

    private func issuerKeysVerifier(issuer: String, kid: String?) async throws(IssuerKeyCache.Unavailable)
        -> ExternalJWTVerifier
    {
        try await exchange.issuerKeys.verifier(issuer: issuer, kid: kid)
    }

    /// A description of a verification failure that is safe for the unauthenticated caller: it says
    /// what is wrong with the token they hold, never which keys or rules exist.
    static func publicReason(_ error: ExternalJWTError?) -> String {
        switch error {
        case .token(.expired)?: "has expired"
        case .token(.notYetValid)?, .token(.issuedInFuture)?: "is not valid yet"
        case .token(.unknownKeyID)?: "is signed by an unknown key"
        case .token(.disallowedAlgorithm)?, .token(.missingAlgorithm)?: "uses an algorithm that is not accepted"
        case .token(.missingExpiry)?: "has no 'exp' claim"
        case .issuerMismatch?, .missingIssuer?: "has an unexpected issuer"
        case .token(.audienceMismatch)?: "is not addressed to this server"
        default: "is not valid (signature, header or claims)"
        }
    }
}
