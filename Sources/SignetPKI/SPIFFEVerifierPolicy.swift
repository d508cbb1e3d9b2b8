import SignetCore
import SwiftASN1
import X509

/// The X509-SVID rules a validator must apply on top of RFC 5280 (X509-SVID standard §5):
/// the leaf carries exactly one URI SAN that is a SPIFFE ID of the expected trust domain,
/// is not a CA and does not sign certificates or CRLs.
///
/// It also claims the critical subjectAlternativeName extension: an SVID with an empty
/// subject must mark its SAN critical, and swift-certificates refuses any critical
/// extension no policy has claimed.
public struct SPIFFEVerifierPolicy: VerifierPolicy, Sendable {
    public let trustDomain: TrustDomain
    public let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = [.X509ExtensionID.subjectAlternativeName]

    public init(trustDomain: TrustDomain) {
        self.trustDomain = trustDomain
    }

    public mutating func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) async -> PolicyEvaluationResult {
        let leaf = chain.leaf
        let id: SPIFFEID
        switch Self.spiffeID(of: leaf) {
        case .success(let found): id = found
        case .failure(let reason): return .failsToMeetPolicy(reason: reason.description)
        }
        let expected = trustDomain
        guard id.trustDomain == expected else {
            return .failsToMeetPolicy(reason: "SPIFFE ID \(id) is not in trust domain \(expected)")
        }
        guard !id.path.isEmpty else {
            return .failsToMeetPolicy(reason: "leaf SPIFFE ID \(id) has no path")
        }
        if let bc = try? leaf.extensions.basicConstraints, case .isCertificateAuthority = bc {
            return .failsToMeetPolicy(reason: "leaf is a CA certificate")
        }
        guard let ku = try? leaf.extensions.keyUsage, ku.digitalSignature, !ku.keyCertSign, !ku.cRLSign else {
            return .failsToMeetPolicy(reason: "leaf keyUsage must have digitalSignature and neither keyCertSign nor cRLSign")
        }
        return .meetsPolicy
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The single SPIFFE ID in a certificate's URI SANs.
    public static func spiffeID(of certificate: Certificate) -> Result<SPIFFEID, Failure> {
        guard let names = try? certificate.extensions.subjectAlternativeNames else {
            return .failure(Failure(description: "certificate has no subjectAlternativeName"))
        }
        var uris: [String] = []
        for case .uniformResourceIdentifier(let uri) in names { uris.append(uri) }
        guard uris.count == 1 else {
            return .failure(Failure(description: "certificate has \(uris.count) URI SANs; an X509-SVID has exactly one"))
        }
        do {
            return .success(try SPIFFEID(uris[0]))
        } catch {
            return .failure(Failure(description: "URI SAN is not a SPIFFE ID: \(error.description)"))
        }
    }
}
