import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SignetCore

/// An OAuth 2.0 error response (RFC 6749 §5.2, RFC 8693 §2.2.2) from the token endpoint.
///
/// Two texts on purpose: `publicDescription` goes to an unauthenticated caller and never says
/// more than what the caller already controls (no rule names, conditions, key IDs or internal
/// state), while `reason` is the full explanation for the `exchange.token` event an operator reads.
struct OAuthError: Error, CustomStringConvertible {
    enum Code: String, Sendable {
        case invalidRequest = "invalid_request"
        case invalidGrant = "invalid_grant"
        case invalidTarget = "invalid_target"
        case invalidClient = "invalid_client"
        case unsupportedGrantType = "unsupported_grant_type"
        case invalidScope = "invalid_scope"
        case serverError = "server_error"
    }

    let code: Code
    let publicDescription: String
    let reason: String
    /// Facts learnt before the refusal (rule, issuer, external subject, ...) for the denial event.
    var details: [String: String] = [:]

    init(_ code: Code, _ publicDescription: String, reason: String? = nil, details: [String: String] = [:]) {
        self.code = code
        self.publicDescription = publicDescription
        self.reason = reason ?? publicDescription
        self.details = details
    }

    static func invalidRequest(_ text: String, reason: String? = nil) -> OAuthError {
        OAuthError(.invalidRequest, text, reason: reason)
    }
    static func invalidGrant(_ text: String, reason: String? = nil) -> OAuthError {
        OAuthError(.invalidGrant, text, reason: reason)
    }
    static func invalidTarget(_ text: String, reason: String? = nil) -> OAuthError {
        OAuthError(.invalidTarget, text, reason: reason)
    }
    static func invalidClient(_ text: String, reason: String? = nil) -> OAuthError {
        OAuthError(.invalidClient, text, reason: reason)
    }

    /// Adds facts for the denial event, keeping ones already recorded.
    func adding(_ more: [String: String]) -> OAuthError {
        var copy = self
        copy.details.merge(more) { existing, _ in existing }
        return copy
    }

    var description: String { "\(code.rawValue): \(reason)" }

    /// HTTP status: 400 for every client error (the contract's choice; RFC 6749 allows 401 for
    /// invalid_client only when the client used the Authorization header, which Signet never reads),
    /// 500 for server_error.
    var status: HTTPResponse.Status { code == .serverError ? .internalServerError : .badRequest }

    func response() -> Response {
        var body = #"{"error":"#
        JSONValue.writeString(code.rawValue, into: &body)
        body += #","error_description":"#
        JSONValue.writeString(publicDescription, into: &body)
        body += "}"
        return OAuthResponse.json(body, status: status)
    }
}

/// Token endpoint responses: JSON that no cache may keep (RFC 6749 §5.1).
enum OAuthResponse {
    static let pragma = HTTPField.Name("Pragma")!

    static func json(_ body: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json", .cacheControl: "no-store", pragma: "no-cache"],
            body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
