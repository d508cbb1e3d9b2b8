import Crypto
import _CryptoExtras
import Foundation
import Hummingbird
import SignetCore
import SignetPKI
import SwiftASN1
import X509

/// x509pop attestation: a node proves it holds the key of a certificate issued
/// by a CA the operator trusts for nodes, by signing a fresh server nonce.
extension SignetAuthority {
    /// Validates the node's chain and returns a single-use challenge (id, nonce).
    func x509popChallenge(chainPEM: String) async throws -> (id: String, nonce: [UInt8]) {
        let (chain, leafDER) = try await validatedNodeChain(chainPEM)
        do {
            return try x509popChallenges.issue(chain: chain, leafDER: leafDER)
        } catch {
            throw APIError(
                .serviceUnavailable, "busy", "too many x509pop challenges are outstanding; retry in a minute")
        }
    }

    /// Checks the signature over the challenge's nonce and attests the node.
    func attestWithX509PoP(challengeID: String, signatureBase64: String, csrPEM: String) async throws
        -> (SPIFFEID, IssuedX509SVID)
    {
        let publicKey: Certificate.PublicKey
        do {
            publicKey = try CSRValidator.publicKey(fromPEM: csrPEM)
        } catch {
            throw await refuseAttestation(
                type: "x509pop", subject: challengeID, reason: error.description, status: .badRequest, code: "bad_csr")
        }
        guard let challenge = x509popChallenges.take(challengeID) else {
            throw await refuseAttestation(
                type: "x509pop", subject: challengeID,
                reason: "unknown, used or expired x509pop challenge: request a new one (each is single-use and lasts \(Int(x509popChallenges.lifetime)) s)")
        }
        let leaf = challenge.chain[0]
        let fingerprint = Fingerprint.certificate(der: challenge.leafDER)
        guard let signature = Data(base64Encoded: signatureBase64),
            Self.verifyNonceSignature(Array(signature), nonce: challenge.nonce, key: leaf.publicKey)
        else {
            throw await refuseAttestation(
                type: "x509pop", subject: fingerprint,
                reason: "the signature over the challenge nonce does not verify with the node certificate's key (send base64 of an ECDSA DER or RSA PKCS#1 v1.5 SHA-256 signature over the raw nonce bytes)")
        }
        let agentID = try agentID(type: "x509pop", name: fingerprint)
        let svid = try await completeAttestation(
            agentID: agentID, attestationType: "x509pop", selectors: Self.x509popSelectors(challenge), publicKey: publicKey,
            details: ["node_certificate": fingerprint])
        return (agentID, svid)
    }

    /// Parses the node's chain (leaf first) and validates it against the configured node CAs.
    private func validatedNodeChain(_ pem: String) async throws -> ([Certificate], [UInt8]) {
        guard let path = configuration.x509popCABundle else {
            throw await refuseAttestation(
                type: "x509pop", subject: "x509pop",
                reason: "x509pop attestation is not enabled on this server: set [agent] x509pop_ca_bundle in the configuration to a PEM file of the CAs that sign node certificates, or use a join token")
        }
        let roots: [Certificate]
        do {
            roots = try PEM.certificates(from: try String(contentsOfFile: path, encoding: .utf8))
        } catch {
            logger.error("cannot read the x509pop CA bundle", metadata: ["path": "\(path)", "error": "\(error)"])
            throw APIError(
                .serviceUnavailable, "misconfigured", "the server cannot read its x509pop CA bundle; see the server log")
        }
        let documents: [PEMDocument]
        do {
            documents = try PEMDocument.parseMultiple(pemString: pem)
        } catch {
            throw APIError.badRequest("certificate_chain is not PEM: \(error)")
        }
        guard !documents.isEmpty, documents.count <= 10, documents.allSatisfy({ $0.discriminator == "CERTIFICATE" })
        else {
            throw APIError.badRequest("certificate_chain must hold 1 to 10 CERTIFICATE blocks, the node certificate first")
        }
        let certificates: [Certificate]
        do {
            certificates = try documents.map { try Certificate(derEncoded: $0.derBytes) }
        } catch {
            throw APIError.badRequest("certificate_chain holds a certificate that is not valid DER: \(error)")
        }
        let leaf = certificates[0]
        let fingerprint = Fingerprint.certificate(der: documents[0].derBytes)
        do {
            try CSRValidator.checkKeyType(leaf.publicKey)
        } catch {
            throw await refuseAttestation(type: "x509pop", subject: fingerprint, reason: "node certificate: \(error)")
        }
        var verifier = Verifier(rootCertificates: CertificateStore(roots)) {
            RFC5280Policy()
            NodeCertificatePolicy()
        }
        let result = await verifier.validate(leaf: leaf, intermediates: CertificateStore(Array(certificates.dropFirst())))
        guard case .validCertificate(let chain) = result else {
            var reason = "the node certificate does not chain to a CA in [agent] x509pop_ca_bundle"
            if case .couldNotValidate(let failures) = result, let first = failures.first {
                reason += " (\(first.policyFailureReason))"
            }
            throw await refuseAttestation(type: "x509pop", subject: fingerprint, reason: reason)
        }
        return (Array(chain), documents[0].derBytes)
    }

    /// ECDSA (DER) with P-256/SHA-256 or P-384/SHA-384, or RSA PKCS#1 v1.5 with SHA-256.
    static func verifyNonceSignature(_ signature: [UInt8], nonce: [UInt8], key: Certificate.PublicKey) -> Bool {
        if let p256 = P256.Signing.PublicKey(key) {
            guard let sig = try? P256.Signing.ECDSASignature(derRepresentation: signature) else { return false }
            return p256.isValidSignature(sig, for: nonce)
        }
        if let p384 = P384.Signing.PublicKey(key) {
            guard let sig = try? P384.Signing.ECDSASignature(derRepresentation: signature) else { return false }
            return p384.isValidSignature(sig, for: nonce)
        }
        if let rsa = _RSA.Signing.PublicKey(key) {
            return rsa.isValidSignature(
                _RSA.Signing.RSASignature(rawRepresentation: signature), for: nonce, padding: .insecurePKCS1v1_5)
        }
        return false
    }

    /// `x509pop:subject:cn:<CN>`, `x509pop:ca:fingerprint:<root SHA-256>`, `x509pop:san:dns:<name>` for each DNS SAN.
    /// Values a selector cannot hold (a newline, over 1 KiB) are left out rather than failing attestation.
    static func x509popSelectors(_ challenge: X509PoPChallenges.Challenge) -> [Selector] {
        let leaf = challenge.chain[0]
        var values: [String] = []
        for rdn in leaf.subject {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                if let cn = String(attribute.value) { values.append("subject:cn:\(cn)") }
            }
        }
        if let root = challenge.chain.last, let der = try? root.serializeAsPEM().derBytes {
            values.append("ca:fingerprint:\(Fingerprint.certificate(der: der))")
        }
        if let names = try? leaf.extensions.subjectAlternativeNames {
            for case .dnsName(let name) in names { values.append("san:dns:\(name)") }
        }
        return values.compactMap { try? Selector(type: "x509pop", value: $0) }
    }
}

/// What a node certificate must be beyond RFC 5280 validity: an end-entity
/// certificate allowed to sign (the nonce). Claims the critical SAN extension,
/// which certificates with an empty subject must carry.
struct NodeCertificatePolicy: VerifierPolicy {
    let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = [
        .X509ExtensionID.subjectAlternativeName, .X509ExtensionID.extendedKeyUsage,
    ]

    mutating func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) async -> PolicyEvaluationResult {
        let leaf = chain.leaf
        if let constraints = try? leaf.extensions.basicConstraints, case .isCertificateAuthority = constraints {
            return .failsToMeetPolicy(reason: "the node certificate is a CA certificate")
        }
        if let usage = try? leaf.extensions.keyUsage, !usage.digitalSignature {
            return .failsToMeetPolicy(reason: "the node certificate's keyUsage lacks digitalSignature")
        }
        return .meetsPolicy
    }
}
