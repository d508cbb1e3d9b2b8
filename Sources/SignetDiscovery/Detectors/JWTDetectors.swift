/// JSON Web Tokens: bearer credentials until they expire (and often they never do).
enum JWTDetectors: DetectorFamily {
    static let jwt = SecretDetector(
        id: "jwt", kind: .jwt, severity: .medium, specificity: .structured,
        description: "Signed JSON Web Token (header.payload.signature with an `alg` header); a bearer credential.")

    static var detectors: [SecretDetector] { [jwt] }

    private static let algMember = Array("\"alg\"".utf8)

    static var anchorRules: [AnchorRule] {
        // Both the header and the payload are JSON objects, so both segments start with "eyJ" ("{\"").
        [AnchorRule("eyJ") { input, at in
            guard !ByteClass.base64URL.contains(input.byte(at - 1)) else { return nil }
            let headerLength = input.run(of: .base64URL, from: at, limit: 4096)
            let payloadStart = at + headerLength + 1
            guard headerLength >= 10, input.byte(at + headerLength) == UInt8(ascii: "."),
                  input.byte(payloadStart) == UInt8(ascii: "e"), input.byte(payloadStart + 1) == UInt8(ascii: "y")
            else { return nil }
            let payloadLength = input.run(of: .base64URL, from: payloadStart, limit: 65536)
            let signatureStart = payloadStart + payloadLength + 1
            guard payloadLength >= 10, input.byte(payloadStart + payloadLength) == UInt8(ascii: ".") else { return nil }
            let signatureLength = input.run(of: .base64URL, from: signatureStart, limit: 4096)
            guard signatureLength >= 16,
                  let header = Base64.decode(input.slice(at..<(at + headerLength)), limit: 1024),
                  header.first == UInt8(ascii: "{"),
                  header.withUnsafeBufferPointer({ buffer in
                      ScanInput(bytes: buffer, fileKind: .configuration)
                          .firstIndex(of: algMember, from: 0, to: buffer.count) != nil
                  })
            else { return nil }
            let range = at..<(signatureStart + signatureLength)
            return RuleMatch(jwt, start: at, secret: range)
        }]
    }
}
