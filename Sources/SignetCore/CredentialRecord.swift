import Foundation

/// The durable record of one credential Signet issued. It is written before
/// the credential is handed out, so the inventory can never miss one.
public struct CredentialRecord: Hashable, Sendable, Codable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case x509SVID = "x509-svid"
        case jwtSVID = "jwt-svid"
        /// An RFC 9068 access token (`typ: at+jwt`) from the token endpoint.
        case accessToken = "access-token"
    }

    /// The certificate serial (hex) or the JWT's `jti`.
    public var serial: String
    public var kind: Kind
    public var spiffeID: SPIFFEID
    public var entryID: String?
    /// SHA-256 of the subject public key (SPKI DER), hex; for JWT-SVIDs the signing key's `kid`.
    public var publicKeyFingerprint: String
    public var notBefore: Date
    public var notAfter: Date
    /// The authenticated caller the credential was handed to.
    public var issuedTo: String
    public var issuedAt: Date
    /// Audiences of a JWT-SVID; empty for X.509.
    public var audience: [String]

    public init(
        serial: String, kind: Kind, spiffeID: SPIFFEID, entryID: String?, publicKeyFingerprint: String,
        notBefore: Date, notAfter: Date, issuedTo: String, issuedAt: Date = Date(), audience: [String] = []
    ) {
        self.serial = serial
        self.kind = kind
        self.spiffeID = spiffeID
        self.entryID = entryID
        self.publicKeyFingerprint = publicKeyFingerprint
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.issuedTo = issuedTo
        self.issuedAt = issuedAt
        self.audience = audience
    }

    enum CodingKeys: String, CodingKey {
        case serial, kind
        case spiffeID = "spiffe_id"
        case entryID = "entry_id"
        case publicKeyFingerprint = "public_key_fingerprint"
        case notBefore = "not_before"
        case notAfter = "not_after"
        case issuedTo = "issued_to"
        case issuedAt = "issued_at"
        case audience
    }
}
