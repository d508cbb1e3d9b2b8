/// Why a string is not a valid SPIFFE ID or trust domain.
///
/// Each case names the rule of the SPIFFE-ID standard that was broken, so the
/// message a user sees says what to change.
public enum SPIFFEIDError: Error, Equatable, Sendable, CustomStringConvertible {
    case empty
    case wrongScheme(String)
    case missingTrustDomain(String)
    case trustDomainTooLong(String)
    case trustDomainNotLowercase(String)
    case trustDomainHasPath(String)
    case invalidTrustDomainCharacter(String, Character)
    case percentEncoded(String)
    case portNotAllowed(String)
    case userInfoNotAllowed(String)
    case queryNotAllowed(String)
    case fragmentNotAllowed(String)
    case emptySegment(String)
    case dotSegment(String)
    case trailingSlash(String)
    case invalidPathCharacter(String, Character)
    case tooLong(String)

    public var description: String {
        switch self {
        case .empty: "SPIFFE ID is empty"
        case .wrongScheme(let s): "'\(s)': scheme must be 'spiffe://' (lowercase)"
        case .missingTrustDomain(let s): "'\(s)': trust domain is missing"
        case .trustDomainTooLong(let s): "'\(s)': trust domain is longer than 255 bytes"
        case .trustDomainNotLowercase(let s): "'\(s)': trust domain must be lowercase"
        case .trustDomainHasPath(let s): "'\(s)': a trust domain has no path"
        case .invalidTrustDomainCharacter(let s, let c):
            "'\(s)': trust domain may contain only a-z, 0-9, '.', '-' and '_' (found '\(c)')"
        case .percentEncoded(let s): "'\(s)': percent-encoding is not allowed"
        case .portNotAllowed(let s): "'\(s)': a port is not allowed"
        case .userInfoNotAllowed(let s): "'\(s)': user info ('user@') is not allowed"
        case .queryNotAllowed(let s): "'\(s)': a query ('?') is not allowed"
        case .fragmentNotAllowed(let s): "'\(s)': a fragment ('#') is not allowed"
        case .emptySegment(let s): "'\(s)': path has an empty segment ('//')"
        case .dotSegment(let s): "'\(s)': path segments '.' and '..' are not allowed"
        case .trailingSlash(let s): "'\(s)': path must not end with '/'"
        case .invalidPathCharacter(let s, let c):
            "'\(s)': path segments may contain only a-z, A-Z, 0-9, '.', '-' and '_' (found '\(c)')"
        case .tooLong(let s): "'\(s.prefix(64))…': SPIFFE ID is longer than 2048 bytes"
        }
    }
}
