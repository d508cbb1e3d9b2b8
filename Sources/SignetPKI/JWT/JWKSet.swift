import Foundation

/// A JSON Web Key Set (RFC 7517 §5) of signature-verification keys, parsed for lookup by kid.
///
/// Two modes, because the two sources deserve different treatment:
/// - ``Mode/strict`` for key sets an operator hands Signet (a trust rule's pinned JWKS, an OAuth
///   client's keys): every key must be usable and kids unique, so a typo is reported at once
///   instead of surfacing later as "unknown kid".
/// - ``Mode/lenient`` for key sets fetched from an issuer: keys Signet cannot use (an `enc` key,
///   an Ed25519 `OKP` key, an unsupported `alg`) are skipped and reported, so one exotic key
///   does not take the issuer's usable keys down with it. Two different keys under one kid are
///   both dropped: lookup by kid would be ambiguous.
///
/// In both modes a key carrying private members (`d`, `k`, ...) fails the whole set: a public
/// key set that leaks a secret must not be trusted at all.
public struct JWKSet: Sendable {
    /// Larger documents are refused before parsing.
    public static let maxBytes = 256 * 1024
    /// More keys than this is not a key set anyone rotates by hand; refuse rather than verify against it.
    public static let maxKeys = 100

    public enum Mode: Sendable {
        case strict
        case lenient
    }

    /// Usable keys, in document order, with unique kids.
    public let keys: [JWTPublicKey]
    /// Why keys were skipped (lenient mode only), e.g. `key 'abc': unsupported JWK key type 'OKP'`.
    public let skipped: [String]

    /// Why a key set was refused.
    public struct ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    public init(keys: [JWTPublicKey], skipped: [String] = []) {
        self.keys = keys
        self.skipped = skipped
    }

    /// Parses JWKS JSON text (`{"keys": [...]}`).
    public static func parse(_ text: String, mode: Mode) throws(ParseError) -> JWKSet {
        try parse(Array(text.utf8), mode: mode)
    }

    /// Parses JWKS JSON bytes (`{"keys": [...]}`).
    public static func parse(_ bytes: [UInt8], mode: Mode) throws(ParseError) -> JWKSet {
        guard bytes.count <= maxBytes else {
            throw ParseError(message: "JWKS is \(bytes.count) bytes; at most \(maxBytes) are accepted")
        }
        struct Document: Decodable { let keys: [JWK] }
        let document: Document
        do {
            document = try JSONDecoder().decode(Document.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw ParseError(message: "not a JWKS (a JSON object with a 'keys' array of JWKs): \(describe(error))")
        } catch {
            throw ParseError(message: "not a JWKS: \(error)")
        }
        guard document.keys.count <= maxKeys else {
            throw ParseError(message: "JWKS has \(document.keys.count) keys; at most \(maxKeys) are accepted")
        }
        var keys: [JWTPublicKey] = []
        var skipped: [String] = []
        var ambiguous: Set<String> = []
        for (index, jwk) in document.keys.enumerated() {
            let label = jwk.kid.map { "key '\($0)'" } ?? "key #\(index + 1)"
            let key: JWTPublicKey
            do {
                key = try JWTPublicKey(jwk: jwk)
            } catch {
                if mode == .strict { throw ParseError(message: "\(label): \(error.description)") }
                skipped.append("\(label): \(error.description)")
                continue
            }
            if let existing = keys.first(where: { $0.kid == key.kid }) {
                if existing == key { continue }
                if mode == .strict {
                    throw ParseError(message: "two different keys share kid '\(key.kid)'; key IDs must be unique")
                }
                ambiguous.insert(key.kid)
            }
            keys.append(key)
        }
        if !ambiguous.isEmpty {
            keys.removeAll { ambiguous.contains($0.kid) }
            for kid in ambiguous.sorted() {
                skipped.append("key '\(kid)': several different keys share this kid, so none of them is used")
            }
        }
        if mode == .strict, keys.isEmpty {
            throw ParseError(message: "JWKS has no keys; add at least one public signing key")
        }
        return JWKSet(keys: keys, skipped: skipped)
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, let context):
            let path = (context.codingPath + [key]).map(\.stringValue).joined(separator: ".")
            return "missing member '\(path)'"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "wrong type at '\(context.codingPath.map(\.stringValue).joined(separator: "."))'"
        case .dataCorrupted(let context):
            return context.debugDescription
        @unknown default:
            return "malformed JSON"
        }
    }
}
