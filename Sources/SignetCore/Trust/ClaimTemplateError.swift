/// Why a claim path or SPIFFE ID template is malformed, or why a token's claims
/// could not be rendered into a SPIFFE ID.
///
/// Rendering errors name the offending claim so that `signet trust test` can say
/// exactly which value was refused; values are never escaped into something valid.
public struct ClaimTemplateError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
