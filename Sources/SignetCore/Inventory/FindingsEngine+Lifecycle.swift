import Foundation

/// Rules about a credential's lifetime: expired, expiring soon, valid for too long, not rotated, unused.
extension FindingsEngine {
    /// Past its expiry but still recorded as in use. Signet's own SVIDs are skipped: they are
    /// short-lived by design and replaced before they lapse.
    func checkExpired(_ item: InventoryItem, expiry: Date?, now: Date, into found: inout [Finding]) {
        guard !item.managedBySignet, let expiry, expiry <= now else { return }
        let production = environmentClass(item) == .production
        let evidence = Self.text { text in
            text += "expired "
            text += CivilDate(expiry).description
            text += ", "
            text += Self.ago(now.timeIntervalSince(expiry))
            if production, let environment = item.environment {
                text += " (production environment '"
                text += environment
                text += "')"
            }
        }
        let texts = Self.kindIndex(item.kind)
        found.append(
            finding(
                .expired, production ? .critical : .high, item, title: kindTexts[texts].expired,
                evidence: evidence, fix: kindTexts[texts].replaceFix))
    }

    /// Expires within `expiringWithinDays` (critical within `criticalWithinDays`), both inclusive.
    func checkExpiringSoon(_ item: InventoryItem, expiry: Date?, now: Date, into found: inout [Finding]) {
        guard !item.managedBySignet, item.status == .active, let expiry, expiry > now else { return }
        let remaining = expiry.timeIntervalSince(now)
        guard remaining <= expiringWindow else { return }
        let texts = Self.kindIndex(item.kind)
        found.append(
            finding(
                .expiringSoon, remaining <= criticalWindow ? .critical : .medium, item,
                title: kindTexts[texts].expiresSoon,
                evidence: Self.text(capacity: 40) { text in
                    text += "expires "
                    text += CivilDate(expiry).description
                    text += ", "
                    text += Self.fromNow(remaining)
                },
                fix: kindTexts[texts].renewSoonFix))
    }

    /// A TLS server certificate valid for longer than the CA/Browser Forum allows for its issue
    /// date, or an SVID (or an imported entry's SVID TTL) longer than the policy allows.
    func checkValidity(_ item: InventoryItem, into found: inout [Finding]) {
        var evidence: [String] = []
        var fixes: [String] = []
        if let certificate = item.certificate, !certificate.isCA, item.kind != .signetSVID,
            Self.isTLSServerCertificate(item, certificate)
        {
            let validity = TLSValidityCeiling.validity(notBefore: certificate.notBefore, notAfter: certificate.notAfter)
            let ceiling = TLSValidityCeiling.forCertificate(issuedAt: certificate.notBefore)
            if validity > ceiling.maximumValidity(issuedAt: certificate.notBefore) {
                let issued = CivilDate(certificate.notBefore).description
                evidence.append(
                    Self.text(capacity: 160) { text in
                        text += "valid "
                        text += Self.duration(validity)
                        text += " ("
                        text += issued
                        text += " to "
                        text += CivilDate(certificate.notAfter).description
                        text += "); TLS certificates issued on "
                        text += issued
                        text += " may be valid at most "
                        text += ceiling.description
                        text += " ("
                        text += ceiling.source
                        text += ")"
                    })
                fixes.append(Self.tlsValidityFix)
            }
        }
        let svidProblems = svidLifetimeProblems(item)
        if !svidProblems.isEmpty {
            evidence += svidProblems
            fixes.append(
                "Lower the registration entry's TTLs to at most \(Lifetime.format(policy.maxSVIDTTLSeconds)) "
                    + "(X.509-SVID) and \(Lifetime.format(policy.maxJWTSVIDTTLSeconds)) (JWT-SVID); agents renew "
                    + "short-lived SVIDs automatically.")
        }
        guard !evidence.isEmpty else { return }
        found.append(
            finding(
                .validityAbovePolicy, .medium, item, title: "Validity longer than policy allows",
                evidence: evidence.count == 1 ? evidence[0] : evidence.joined(separator: "; "),
                fix: fixes.count == 1 ? fixes[0] : fixes.joined(separator: " ")))
    }

    static let tlsValidityFix =
        "Reissue the certificate with a shorter validity (200 days from 2026-03-15, 100 days from 2027-03-15, "
        + "47 days from 2029-03-15) and automate its renewal with ACME."

    /// A certificate is judged as a TLS server certificate when it names a DNS host or was seen
    /// on a TLS endpoint.
    static func isTLSServerCertificate(_ item: InventoryItem, _ certificate: InventoryItem.CertificateFacts) -> Bool {
        certificate.sans.contains(where: isDNSName) || hasLocation(item, type: "tls")
    }

    /// `DNS:host` as the scanners record it, or a bare host name.
    static func isDNSName(_ san: String) -> Bool {
        if san.utf8.starts(with: "DNS:".utf8) { return true }
        if san.utf8.contains(where: { $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "@") || $0 == UInt8(ascii: "/") }) {
            return false
        }
        // A bare name with a letter (so not an IPv4 address) that is a valid host name.
        return san.utf8.contains(where: { ($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A }) && DNSName.isValid(san)
    }

    /// SVID lifetimes above the policy: a Signet SVID's own lifetime, and the TTLs of imported
    /// entries (`x509_svid_ttl`, `jwt_svid_ttl` attributes, in seconds or as `1h`).
    func svidLifetimeProblems(_ item: InventoryItem) -> [String] {
        var problems: [String] = []
        if item.kind == .signetSVID {
            // The configured TTL, so notAfter - notBefore (not the inclusive RFC 5280 validity).
            if let certificate = item.certificate {
                let ttl = certificate.notAfter.timeIntervalSince(certificate.notBefore)
                if ttl > TimeInterval(policy.maxSVIDTTLSeconds) {
                    problems.append(Self.ttlProblem("X.509-SVID lifetime", ttl, policy.maxSVIDTTLSeconds))
                }
            } else if let created = item.created, let expires = item.expires {
                let ttl = expires.timeIntervalSince(created)
                let isJWT = item.attributes["svid_type"] == "jwt"
                let limit = isJWT ? policy.maxJWTSVIDTTLSeconds : policy.maxSVIDTTLSeconds
                if ttl > TimeInterval(limit) {
                    problems.append(Self.ttlProblem(isJWT ? "JWT-SVID lifetime" : "SVID lifetime", ttl, limit))
                }
            }
        }
        if !item.attributes.isEmpty {
            if let ttl = Self.seconds(item.attributes["x509_svid_ttl"]), ttl > policy.maxSVIDTTLSeconds {
                problems.append(Self.ttlProblem("X.509-SVID TTL", TimeInterval(ttl), policy.maxSVIDTTLSeconds))
            }
            if let ttl = Self.seconds(item.attributes["jwt_svid_ttl"]), ttl > policy.maxJWTSVIDTTLSeconds {
                problems.append(Self.ttlProblem("JWT-SVID TTL", TimeInterval(ttl), policy.maxJWTSVIDTTLSeconds))
            }
        }
        return problems
    }

    private static func ttlProblem(_ what: String, _ ttl: TimeInterval, _ limit: Int) -> String {
        let shown = ttl.isFinite && abs(ttl) < 1e15 ? Lifetime.format(Int(ttl)) : "\(ttl)s"
        return "\(what) \(shown) exceeds the policy maximum \(Lifetime.format(limit))"
    }

    private static func seconds(_ text: String?) -> Int? {
        guard let text else { return nil }
        return Int(text) ?? (try? Lifetime.seconds(text))
    }

    /// A static credential older than `rotationDays` (high beyond four times that) that will not
    /// expire within `rotationDays` anyway.
    func checkRotation(_ item: InventoryItem, expiry: Date?, now: Date, into found: inout [Finding]) {
        guard !item.managedBySignet, item.status == .active, Self.isStatic(item, expiry: expiry) else { return }
        let born = item.created ?? item.firstSeen
        guard let born else { return }
        let age = now.timeIntervalSince(born)
        guard age > rotationWindow else { return }
        if let expiry, expiry.timeIntervalSince(now) <= rotationWindow { return }
        let evidence = Self.text { text in
            text += item.created != nil ? "created " : "first seen "
            text += CivilDate(born).description
            text += ", "
            text += Self.ago(age)
            if let expiry {
                text += "; expires "
                text += CivilDate(expiry).description
            } else {
                text += "; never expires"
            }
            text += "; policy: rotate every "
            text += String(policy.rotationDays)
            text += " days"
        }
        found.append(
            finding(
                .notRotated, age > 4 * rotationWindow ? .high : .medium, item,
                title: kindTexts[Self.kindIndex(item.kind)].notRotated, evidence: evidence,
                fix: Self.rotationFix(item.kind)))
    }

    /// Credentials that live until someone replaces them: secrets, keys that are not a
    /// certificate's, and anything without an expiry.
    ///
    /// A certificate's private key (it carries certificate facts, or the `certificate` attribute
    /// names the certificate item that shares its key) is renewed with its certificate, which the
    /// expiry rules watch. A Kubernetes service account is an identity, not a secret: its tokens
    /// are items of their own.
    static func isStatic(_ item: InventoryItem, expiry: Date?) -> Bool {
        switch item.kind {
        case .apiToken, .cloudAccessKey, .password, .kubernetesToken, .sshKey: true
        case .privateKey: !isCertificateKey(item)
        case .kubernetesServiceAccount: false
        default: expiry == nil
        }
    }

    static func isCertificateKey(_ item: InventoryItem) -> Bool {
        if item.certificate != nil { return true }
        guard !item.attributes.isEmpty, let certificate = item.attributes["certificate"] else { return false }
        return !certificate.isEmpty
    }

    static func rotationFix(_ kind: InventoryItem.Kind) -> String {
        switch kind {
        case .cloudAccessKey:
            "Create a new access key, switch the workload to it, then deactivate and delete this one; better, "
                + "replace static keys with a short-lived identity (a Signet SVID exchanged for cloud credentials)."
        case .apiToken:
            "Issue a replacement token with the narrowest scopes and an expiry, switch its consumers, then "
                + "revoke this one."
        case .password:
            "Change the password, deliver the new one to its consumers from a secret store, and rotate it on a "
                + "schedule."
        case .privateKey, .sshKey:
            "Generate a new key pair, deploy the new public key where this one is trusted, then remove the old one."
        case .kubernetesToken:
            "Delete the long-lived token secret and let workloads use projected, automatically rotated "
                + "service account tokens."
        default:
            "Rotate the credential and give its replacement an expiry."
        }
    }

    /// Active but idle for longer than `unusedDays`, or marked never used and older than that.
    func checkUnused(_ item: InventoryItem, now: Date, into found: inout [Finding]) {
        guard item.status == .active else { return }
        let since: Date
        let neverUsed: Bool
        if let lastUsed = item.lastUsed {
            guard now.timeIntervalSince(lastUsed) > unusedWindow else { return }
            since = lastUsed
            neverUsed = false
        } else if !item.attributes.isEmpty, item.attributes["never_used"] == "true",
            let born = item.created ?? item.firstSeen, now.timeIntervalSince(born) > unusedWindow
        {
            since = born
            neverUsed = true
        } else {
            return
        }
        let evidence = Self.text { text in
            if neverUsed { text += item.created != nil ? "never used; created " : "never used; first seen " }
            else { text += "last used " }
            text += CivilDate(since).description
            text += ", "
            text += Self.ago(now.timeIntervalSince(since))
            text += " (policy: "
            text += String(policy.unusedDays)
            text += " days)"
        }
        found.append(
            finding(
                .unused, .medium, item, title: kindTexts[Self.kindIndex(item.kind)].unused, evidence: evidence,
                fix: "Confirm with the owner that nothing depends on it, then revoke or delete it; an unused "
                    + "credential is only risk."))
    }
}
