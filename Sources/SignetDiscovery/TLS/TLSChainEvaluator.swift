import Crypto
import Foundation
import SignetCore
import SwiftASN1
@_spi(DisableValidityCheck) import X509

/// Judges a served chain after the handshake: leaf facts, validity, self-signed, weak algorithms,
/// hostname match and the trust path.
///
/// Validity is checked separately from the trust path (the path is verified with the validity check
/// disabled) so an expired certificate from a trusted CA is reported as expired, not as untrusted.
public struct TLSChainEvaluator: Sendable {
    public var roots: CertificateStore
    /// Warn when the leaf expires within this many days.
    public var expiryWarningDays: Int

    public init(roots: CertificateStore, expiryWarningDays: Int = 30) {
        self.roots = roots
        self.expiryWarningDays = expiryWarningDays
    }

    /// Evaluates `chain` (DER, leaf first) served by `target` for `serverName` at `now`.
    public func evaluate(
        chain: [[UInt8]], target: TLSTarget, serverName: String?, tlsVersion: String?, now: Date
    ) async -> TLSEndpointResult {
        var result = TLSEndpointResult(target: target, serverName: serverName, tlsVersion: tlsVersion)
        guard let leafDER = chain.first else {
            result.findings.append(TLSFinding(
                code: "chain-invalid", severity: .high, message: "the server sent no certificate",
                fix: "configure a certificate on the listener"))
            return result
        }
        let parsed = chain.map { try? Certificate(derEncoded: $0) }
        guard let leaf = parsed[0] else {
            result.findings.append(TLSFinding(
                code: "unparseable-certificate", severity: .high, message: "the leaf certificate is not valid DER X.509",
                fix: "reissue the certificate"))
            return result
        }
        let served = parsed.compactMap { $0 }
        result.chainSubjects = served.map { $0.subject.description }

        // The same key description and fingerprint (`sha256:` of the DER SubjectPublicKeyInfo) as the
        // file scanner, so a certificate found on disk and served on a port is one inventory item.
        var spki = DER.Serializer()
        guard (try? spki.serialize(leaf.publicKey)) != nil, let key = try? PublicKeyDescription(spki: spki.serializedBytes) else {
            result.findings.append(TLSFinding(
                code: "unparseable-certificate", severity: .high, message: "the leaf's public key cannot be parsed",
                fix: "reissue the certificate"))
            return result
        }
        let signatureOID = CertificateKeyFacts.signatureOID(certificateDER: leafDER)
        let signature = signatureOID.map { ParsedCertificate.signatureName($0) } ?? "unknown"
        let selfSigned = Self.isSelfSigned(leaf)
        let sans = Self.subjectAlternativeNames(leaf)
        let isCA: Bool
        if case .isCertificateAuthority = try? leaf.extensions.basicConstraints { isCA = true } else { isCA = false }
        let expired = leaf.notValidAfter < now
        let facts = InventoryItem.CertificateFacts(
            subject: leaf.subject.description, issuer: leaf.issuer.description, serial: leaf.serialNumber.description,
            sans: sans.map(\.description), notBefore: leaf.notValidBefore, notAfter: leaf.notValidAfter,
            signatureAlgorithm: signature, selfSigned: selfSigned, isCA: isCA)
        result.leaf = InventoryItem(
            kind: .x509Certificate, fingerprint: key.fingerprint, detector: "tls-handshake",
            locations: [InventoryItem.Location(type: "tls", target: target.description, firstSeen: now)],
            created: leaf.notValidBefore, expires: leaf.notValidAfter,
            algorithm: key.displayAlgorithm, keySize: key.keySize,
            certificate: facts, status: expired ? .expired : .active)

        result.findings += validityFindings(leaf, now: now)
        if selfSigned {
            result.findings.append(TLSFinding(
                code: "self-signed", severity: .medium,
                message: "the leaf certificate is self-signed (\(leaf.subject)); clients cannot verify it",
                fix: "serve a certificate issued by a CA the clients trust, e.g. one issued by Signet"))
        }
        if let signatureOID, CertificateKeyFacts.weakSignatures.contains(signatureOID) {
            result.findings.append(TLSFinding(
                code: "weak-signature", severity: .high, message: "the leaf is signed with \(signature)",
                fix: "reissue the certificate with a SHA-256 (or stronger) signature"))
        }
        if key.isWeak {
            result.findings.append(TLSFinding(
                code: "weak-key", severity: .high,
                message: "the leaf key is \(key.algorithm) \(key.curve ?? key.keySize.map { "\($0)-bit" } ?? "of unknown size")",
                fix: "reissue with an RSA key of at least 2048 bits or a P-256 key"))
        }
        let name = serverName ?? target.host
        if !HostnameMatcher.matches(name, sans: sans) {
            let listed = sans.isEmpty ? "no subjectAltName (the common name is not used)" : sans.map(\.description).joined(separator: ", ")
            result.findings.append(TLSFinding(
                code: "hostname-mismatch", severity: .high, message: "the certificate does not cover \(name): it lists \(listed)",
                fix: "reissue the certificate with \(name) in its subjectAltName, or scan with the right --sni"))
        }
        let trust = await trustFindings(leaf: leaf, served: Array(served.dropFirst()), selfSigned: selfSigned)
        result.trusted = trust.trusted
        result.findings += trust.findings
        return result
    }

    private func validityFindings(_ leaf: Certificate, now: Date) -> [TLSFinding] {
        let formatter = ISO8601DateFormatter()
        if leaf.notValidAfter < now {
            return [TLSFinding(
                code: "expired", severity: .critical,
                message: "the leaf certificate expired on \(formatter.string(from: leaf.notValidAfter))",
                fix: "renew the certificate and reload the server")]
        }
        if leaf.notValidBefore > now {
            return [TLSFinding(
                code: "not-yet-valid", severity: .high,
                message: "the leaf certificate is not valid before \(formatter.string(from: leaf.notValidBefore))",
                fix: "check the issuing CA's clock, or wait before deploying it")]
        }
        let daysLeft = Int(leaf.notValidAfter.timeIntervalSince(now) / 86_400)
        if daysLeft < expiryWarningDays {
            return [TLSFinding(
                code: "expiring-soon", severity: daysLeft < 7 ? .critical : .medium,
                message: "the leaf certificate expires in \(daysLeft) days (\(formatter.string(from: leaf.notValidAfter)))",
                fix: "renew the certificate now")]
        }
        return []
    }

    private func trustFindings(leaf: Certificate, served: [Certificate], selfSigned: Bool) async -> (trusted: Bool, findings: [TLSFinding]) {
        var verifier = Verifier(rootCertificates: roots) {
            RFC5280Policy.withValidityCheckDisabled()
            ServerCertificateExtensions()
        }
        switch await verifier.validate(leaf: leaf, intermediates: CertificateStore(served)) {
        case .validCertificate:
            return (true, [])
        case .couldNotValidate(let failures):
            if selfSigned { return (false, []) }  // reported once, as self-signed
            let last = served.last ?? leaf
            if Self.isSelfSigned(last) {
                return (false, [TLSFinding(
                    code: "untrusted-root", severity: .high,
                    message: "the chain ends at \(last.subject), which is not a trusted root",
                    fix: "issue from a trusted CA, or pass the private root with --ca-file if it is meant to be trusted")])
            }
            if failures.isEmpty {
                return (false, [TLSFinding(
                    code: "incomplete-chain", severity: .medium,
                    message: "no issuer for \(last.issuer) was served or is trusted: the chain is incomplete or its root is unknown",
                    fix: "serve the intermediate certificates with the leaf (full chain), or pass the root with --ca-file")])
            }
            let reasons = Set(failures.map { String(describing: $0.policyFailureReason) }).sorted().joined(separator: "; ")
            return (false, [TLSFinding(
                code: "chain-invalid", severity: .high, message: "the chain fails RFC 5280 validation: \(reasons)",
                fix: "reissue the chain with correct CA constraints")])
        }
    }

    /// Subject equals issuer and the certificate's own key verifies its signature.
    static func isSelfSigned(_ certificate: Certificate) -> Bool {
        certificate.subject == certificate.issuer && certificate.publicKey.isValidSignature(certificate.signature, for: certificate)
    }

    static func subjectAlternativeNames(_ certificate: Certificate) -> [SubjectAlternativeName] {
        guard let names = try? certificate.extensions.subjectAlternativeNames else { return [] }
        return names.compactMap { name in
            switch name {
            case .dnsName(let value): .dns(value)
            case .ipAddress(let bytes): .ip(Array(bytes.bytes))
            case .uniformResourceIdentifier(let value): .uri(value)
            case .rfc822Name(let value): .email(value)
            default: nil
            }
        }
    }
}

/// Accepts the critical extensions server certificates legitimately carry (subjectAltName is critical
/// when the subject is empty; some CAs mark extendedKeyUsage critical). Hostname matching is done by
/// ``HostnameMatcher`` so that a mismatch is a finding, not a trust failure.
struct ServerCertificateExtensions: VerifierPolicy {
    let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = [
        .X509ExtensionID.subjectAlternativeName, .X509ExtensionID.extendedKeyUsage,
    ]

    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) async -> PolicyEvaluationResult { .meetsPolicy }
}

/// A subjectAltName entry in the form `openssl x509 -text` prints (`DNS:`, `IP Address:` shortened to `IP:`).
public enum SubjectAlternativeName: Hashable, Sendable, CustomStringConvertible {
    case dns(String)
    case ip([UInt8])
    case uri(String)
    case email(String)

    public var description: String {
        switch self {
        case .dns(let name): "DNS:\(name)"
        case .ip(let bytes): "IP:\(bytes.count == 4 || bytes.count == 16 ? IPAddressBytes.format(bytes) : Hex.encode(bytes))"
        case .uri(let uri): "URI:\(uri)"
        case .email(let email): "email:\(email)"
        }
    }
}

/// RFC 6125 matching: IP literals against IP SANs only; names against DNS SANs, case-insensitively,
/// with a wildcard allowed only as the whole left-most label and matching exactly one label.
public enum HostnameMatcher {
    public static func matches(_ name: String, sans: [SubjectAlternativeName]) -> Bool {
        if let address = IPAddressBytes.parse(name) {
            return sans.contains { if case .ip(let bytes) = $0 { bytes == address } else { false } }
        }
        let host = normalized(name)
        return sans.contains { san in
            guard case .dns(let pattern) = san else { return false }
            return matches(host: host, pattern: normalized(pattern))
        }
    }

    private static func normalized(_ name: String) -> String {
        var lowered = name.lowercased()
        if lowered.hasSuffix(".") { lowered.removeLast() }
        return lowered
    }

    private static func matches(host: String, pattern: String) -> Bool {
        guard pattern.hasPrefix("*.") else { return host == pattern }
        let suffix = pattern.dropFirst(2)
        guard suffix.contains("."), let dot = host.firstIndex(of: ".") else { return false }
        let label = host[..<dot]
        return !label.isEmpty && host[host.index(after: dot)...] == suffix
    }
}
