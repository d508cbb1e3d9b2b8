/// Why a condition does not parse, exceeds a bound, or cannot be evaluated
/// against a token's claims.
///
/// `offset` is the byte offset in the condition's source where the problem is
/// (nil for problems of the whole expression such as its length), so the CLI
/// can point at it.
public struct ConditionError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String
    public let offset: Int?

    public init(_ message: String, offset: Int?) {
        self.message = message
        self.offset = offset
    }

    public var description: String {
        if let offset { return "\(message) (at byte \(offset))" }
        return message
    }
}
