import Foundation
import Testing

@testable import SignetPKI
import SignetCore

@Suite("JWT encodings: base64url and strict JSON")
struct JWTEncodingTests {
    @Test("base64url matches Foundation's base64 with the URL alphabet and no padding")
    func base64URLAgreesWithFoundation() {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<80 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let expected = Data(bytes).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
            #expect(Base64URL.encode(bytes) == expected)
            #expect(Base64URL.decode(expected) == bytes)
        }
    }

    @Test(
        "base64url decoding is strict",
        arguments: ["QQ==", "QQ=", "Q", "QR", "QUJ", "a+b_", "a/b-", "ab c", "ab\n", "QUJD=", "é"])
    func base64URLStrict(text: String) {
        // "QR" and "QUJ" have non-zero trailing bits: aliases of "QQ" and "QUI".
        #expect(Base64URL.decode(text) == nil)
    }

    @Test("base64url edge cases")
    func base64URLEdges() {
        #expect(Base64URL.decode("") == [])
        #expect(Base64URL.decode("QQ") == [0x41])
        #expect(Base64URL.decode("QUI") == [0x41, 0x42])
        #expect(Base64URL.decode("-_8") == [0xFB, 0xFF])
        #expect(Base64URL.encode([0xFB, 0xFF]) == "-_8")
    }

    @Test("strict JSON accepts RFC 8259 values")
    func jsonAccepts() throws {
        let value = try JSONValue.parse(
            Array(#" {"a":[1,-0.5,2e3,true,false,null],"b":"\u00e9\ud83d\ude00\n\"\\\/","c":{}} "#.utf8))
        guard case .object(let object) = value else {
            Issue.record("not an object")
            return
        }
        #expect(object["a"] == .array([.number(1), .number(-0.5), .number(2000), .bool(true), .bool(false), .null]))
        #expect(object["b"] == .string("é😀\n\"\\/"))
        #expect(object["c"] == .object([:]))
    }

    @Test(
        "strict JSON rejects",
        arguments: [
            #"{"a":1,"a":2}"#, #"{"a":1,}"#, "[1,]", "01", "1.", ".5", "-", "+1", "1e", "NaN", "Infinity", "1e999",
            #"{"a":1} x"#, #"{'a':1}"#, #"{a:1}"#, "tru", #""\ud800""#, #""\udc00x""#, #""\x""#, "\"a\u{01}\"", "",
            "/* */ {}", #"{"a" 1}"#, "[1 2]",
        ])
    func jsonRejects(text: String) {
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse(Array(text.utf8)) }
    }

    @Test("strict JSON rejects invalid UTF-8 and deep nesting")
    func jsonRejectsBytes() {
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse([0x22, 0xC3, 0x28, 0x22]) }
        let deep = String(repeating: "[", count: 33) + String(repeating: "]", count: 33)
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse(Array(deep.utf8)) }
        let ok = String(repeating: "[", count: 32) + String(repeating: "]", count: 32)
        #expect((try? JSONValue.parse(Array(ok.utf8))) != nil)
    }

    @Test("serialization is compact, sorted, escaped, and parses back")
    func jsonSerialization() throws {
        let value = JSONValue.object([
            "z": .number(1_750_000_000), "a": .string("q\"\\\n\u{01}é"),
            "m": .array([.number(0.25), .null, .bool(false)]),
        ])
        let text = value.description
        #expect(text == #"{"a":"q\"\\\n\u0001é","m":[0.25,null,false],"z":1750000000}"#)
        #expect(try JSONValue.parse(Array(text.utf8)) == value)
    }

    @Test("Codable conformance round-trips through JSONEncoder/JSONDecoder")
    func jsonCodable() throws {
        let value = JSONValue.object([
            "a": .array([.number(1.5), .string("x"), .bool(true), .null]), "b": .object([:]),
        ])
        let data = try JSONEncoder().encode(value)
        #expect(try JSONDecoder().decode(JSONValue.self, from: data) == value)
    }
}
