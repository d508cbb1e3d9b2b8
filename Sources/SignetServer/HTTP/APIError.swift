import Foundation
import Hummingbird
import NIOCore
import SignetCore
import SignetPKI
import SignetStore

/// The API's error body: `{"error": "<code>", "message": "<what to do>"}`.
///
/// Messages are written for the caller and never contain key material.
public struct APIError: HTTPResponseError, CustomStringConvertible {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public static func badRequest(_ message: String) -> APIError { APIError(.badRequest, "invalid_request", message) }
    public static func notFound(_ message: String) -> APIError { APIError(.notFound, "not_found", message) }
    public static func unauthenticated(_ message: String) -> APIError { APIError(.unauthorized, "unauthenticated", message) }
    public static func forbidden(_ message: String) -> APIError { APIError(.forbidden, "forbidden", message) }
    public static func conflict(_ message: String) -> APIError { APIError(.conflict, "conflict", message) }
    public static func policy(_ problems: [String]) -> APIError {
        APIError(.unprocessableContent, "policy_violation", problems.joined(separator: "; "))
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        try APIJSON.response(APIErrorBody(error: code, message: message), status: status)
    }

    /// Maps lower-layer errors to API errors with the same message.
    static func from(_ error: any Error) -> APIError {
        switch error {
        case let e as APIError: return e
        case let e as SPIFFEIDError: return .badRequest(e.description)
        case let e as SelectorError: return .badRequest(e.description)
        case let e as Lifetime.ParseError: return .badRequest(e.description)
        case let e as PKIError:
            if case .badCSR = e { return APIError(.badRequest, "bad_csr", e.description) }
            if case .invalidInput = e { return .badRequest(e.description) }
            if case .unsupported = e { return .badRequest(e.description) }
            return APIError(.internalServerError, "internal", "issuance failed; see the server log")
        case let e as StoreError:
            switch e {
            case .notFound(let s): return .notFound(s)
            case .conflict(let s): return .conflict(s)
            case .corrupt: return APIError(.internalServerError, "internal", "stored data is unreadable; see the server log")
            }
        case let e as DecodingError: return .badRequest("request body is not the expected JSON: \(describe(e))")
        default: return APIError(.internalServerError, "internal", "internal error; see the server log")
        }
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, _): return "missing field '\(key.stringValue)'"
        case .typeMismatch(_, let c): return "wrong type at '\(c.codingPath.map(\.stringValue).joined(separator: "."))'"
        case .valueNotFound(_, let c): return "missing value at '\(c.codingPath.map(\.stringValue).joined(separator: "."))'"
        case .dataCorrupted(let c):
            let path = c.codingPath.map(\.stringValue).joined(separator: ".")
            let underlying = (c.underlyingError as? CustomStringConvertible)?.description ?? c.debugDescription
            return path.isEmpty ? "malformed JSON" : "invalid value at '\(path)': \(underlying)"
        @unknown default: return "malformed JSON"
        }
    }
}

struct APIErrorBody: Encodable {
    let error: String
    let message: String
}

/// Converts any thrown error into an ``APIError`` so every failure has the same JSON shape.
struct ErrorMappingMiddleware: RouterMiddleware {
    typealias Context = SignetRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, "body_too_large", "request body is larger than \(context.maxUploadSize) bytes")
        } catch let error as HTTPError {
            // Hummingbird's own errors (unknown route, undecodable body, ...): same body shape as ours.
            switch error.status {
            case .badRequest: throw APIError.badRequest("request body is not valid JSON: \(error.body ?? "malformed")")
            case .notFound: throw APIError.notFound("no such endpoint; see README (Endpoints)")
            default: throw APIError(error.status, "http_error", error.body ?? error.status.reasonPhrase)
            }
        } catch {
            let mapped = APIError.from(error)
            if mapped.status == .internalServerError {
                context.logger.error("request failed", metadata: ["error": "\(String(reflecting: error))"])
            }
            throw mapped
        }
    }
}
