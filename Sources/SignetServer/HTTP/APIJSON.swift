import Foundation
import Hummingbird

/// One JSON dialect for the whole API: RFC 3339 dates, sorted keys (stable output for diffs and tests).
public enum APIJSON {
    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    public static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    /// A JSON response with an explicit status and content type.
    public static func response<T: Encodable>(
        _ value: T, status: HTTPResponse.Status = .ok, contentType: String = "application/json",
        extraHeaders: HTTPFields = [:]
    ) throws -> Response {
        let data = try encoder.encode(value)
        var headers = extraHeaders
        headers[.contentType] = contentType
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
