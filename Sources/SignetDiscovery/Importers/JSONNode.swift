import Foundation
import SignetCore

/// A JSON value together with where it sits in the document (`items[3].metadata`), so every type
/// check an importer makes can fail with an `ImportError` naming the element and member.
///
/// The document is parsed with SignetCore's strict `JSONValue.parse`: duplicate members are
/// rejected rather than resolved one way here and another in the tool that wrote them, and
/// nesting is bounded, so a hostile file cannot exhaust the stack.
struct JSONNode {
    let value: JSONValue
    /// The element path, e.g. `items[3]`.
    let path: String
    /// A human label appended to the path in errors, e.g. `Secret payments/db`.
    var label: String?

    init(_ value: JSONValue, path: String, label: String? = nil) {
        self.value = value
        self.path = path
        self.label = label
    }

    /// Parses a whole document; a syntax error names the line and column it was found at.
    static func parse(_ bytes: ArraySlice<UInt8>, expected: String) throws(ImportError) -> JSONNode {
        do {
            return JSONNode(try JSONValue.parse(bytes), path: "input")
        } catch {
            let (line, column) = position(of: error.offset, in: bytes)
            throw ImportError(
                record: "line \(line), column \(column)", problem: "invalid JSON (\(error.message))", expected: expected)
        }
    }

    private static func position(of offset: Int, in bytes: ArraySlice<UInt8>) -> (Int, Int) {
        var line = 1
        var column = 1
        for byte in bytes.prefix(offset) {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return (line, column)
    }

    var record: String { label.map { "\(path) (\($0))" } ?? path }

    func error(_ field: String?, _ problem: String, expected: String) -> ImportError {
        ImportError(record: record, field: field, problem: problem, expected: expected)
    }

    var object: [String: JSONValue]? { value.objectValue }

    /// The members of an object node, or an error saying what the node should have been.
    func requireObject(_ expected: String) throws(ImportError) -> [String: JSONValue] {
        guard let object = value.objectValue else { throw error(nil, "not a JSON object", expected: expected) }
        return object
    }

    /// A member as a node (nil when absent or null).
    func child(_ key: String) -> JSONNode? {
        guard let member = value.objectValue?[key], member != .null else { return nil }
        return JSONNode(member, path: path + "." + key, label: label)
    }

    func string(_ key: String) throws(ImportError) -> String? {
        guard let member = value.objectValue?[key], member != .null else { return nil }
        guard let text = member.stringValue else { throw error(key, "not a string", expected: "a JSON string") }
        return text
    }

    func requiredString(_ key: String, expected: String) throws(ImportError) -> String {
        guard let text = try string(key), !text.isEmpty else { throw error(key, "missing or empty", expected: expected) }
        return text
    }

    func bool(_ key: String) throws(ImportError) -> Bool? {
        guard let member = value.objectValue?[key], member != .null else { return nil }
        guard let flag = member.boolValue else { throw error(key, "not a boolean", expected: "true or false") }
        return flag
    }

    /// An integer written as a JSON number or, as protobuf's JSON mapping writes 64-bit integers,
    /// a decimal string.
    func integer(_ key: String) throws(ImportError) -> Int64? {
        guard let member = value.objectValue?[key], member != .null else { return nil }
        switch member {
        case .number(let number) where number == number.rounded(.towardZero) && abs(number) < 9.0e15:
            return Int64(number)
        case .string(let text):
            if let number = Int64(text) { return number }
        default:
            break
        }
        throw error(key, "not an integer", expected: "an integer (a JSON number or a decimal string)")
    }

    /// An array member as nodes `key[0]`, `key[1]`... (empty when absent or null).
    func array(_ key: String) throws(ImportError) -> [JSONNode] {
        guard let member = value.objectValue?[key], member != .null else { return [] }
        guard let elements = member.arrayValue else { throw error(key, "not an array", expected: "a JSON array") }
        return elements.enumerated().map { JSONNode($1, path: "\(path).\(key)[\($0)]", label: label) }
    }

    /// An array of strings, or a single string read as a one-element array (IAM writes both).
    func strings(_ key: String) throws(ImportError) -> [String] {
        guard let member = value.objectValue?[key], member != .null else { return [] }
        if let single = member.stringValue { return [single] }
        guard let elements = member.arrayValue else {
            throw error(key, "neither a string nor an array", expected: "a string or an array of strings")
        }
        var result: [String] = []
        for element in elements {
            guard let text = element.stringValue else {
                throw error(key, "an array element is not a string", expected: "an array of strings")
            }
            result.append(text)
        }
        return result
    }

    /// A member holding an object of string values (labels, annotations, secret data).
    func stringMap(_ key: String) throws(ImportError) -> [String: String] {
        guard let member = value.objectValue?[key], member != .null else { return [:] }
        guard let members = member.objectValue else { throw error(key, "not an object", expected: "an object of strings") }
        var result: [String: String] = [:]
        for (name, value) in members {
            guard let text = value.stringValue else {
                throw error("\(key).\(name)", "not a string", expected: "a string value")
            }
            result[name] = text
        }
        return result
    }

    /// A timestamp member (ISO 8601), nil when absent, null or empty.
    func date(_ key: String) throws(ImportError) -> Date? {
        guard let text = try string(key), !text.isEmpty else { return nil }
        guard let date = ImportDate.parse(text) else {
            throw error(
                key, "invalid timestamp \(ImportError.quote(text))",
                expected: "an ISO 8601 timestamp such as 2024-05-01T12:00:00Z")
        }
        return date
    }
}
