/// Private-key blocks: PEM (PKCS#1 RSA, SEC1 EC, DSA, PKCS#8 plain and encrypted), OpenSSH, PGP
/// and PuTTY. Encrypted keys are reported with the `encrypted` qualifier and a lower severity.
///
/// Only the armour is validated here (a body of at least 64 base64 characters and an END line,
/// the DER `SEQUENCE` byte or the OpenSSH magic); parsing the key itself (algorithm, size, public
/// fingerprint) belongs to the key/certificate scanner that uses swift-certificates.
enum PrivateKeyDetectors: DetectorFamily {
    static let rsa = key("private-key-rsa", "RSA private key (PKCS#1 PEM).")
    static let ec = key("private-key-ec", "EC private key (SEC1 PEM).")
    static let dsa = key("private-key-dsa", "DSA private key (PEM).")
    static let openssh = key("private-key-openssh", "OpenSSH private key.")
    static let pkcs8 = key("private-key-pkcs8", "PKCS#8 private key (PEM `PRIVATE KEY` or `ENCRYPTED PRIVATE KEY`).")
    static let pgp = key("private-key-pgp", "PGP private key block.")
    static let putty = key("private-key-putty", "PuTTY private key file (.ppk).")

    private static func key(_ id: String, _ description: String) -> SecretDetector {
        SecretDetector(id: id, kind: .privateKey, severity: .critical, specificity: .structured, description: description)
    }

    static var detectors: [SecretDetector] { [rsa, ec, dsa, openssh, pkcs8, pgp, putty] }

    static var anchorRules: [AnchorRule] {
        [AnchorRule("-----BEGIN ", match: pemBlock), AnchorRule("PuTTY-User-Key-File-", match: puttyKey)]
    }

    private struct Label {
        let text: [UInt8]
        let detector: SecretDetector
        let encrypted: Bool
        let derBody: Bool
    }

    private static let labels: [Label] = [
        Label(text: Array("RSA PRIVATE KEY".utf8), detector: rsa, encrypted: false, derBody: true),
        Label(text: Array("EC PRIVATE KEY".utf8), detector: ec, encrypted: false, derBody: true),
        Label(text: Array("DSA PRIVATE KEY".utf8), detector: dsa, encrypted: false, derBody: true),
        Label(text: Array("OPENSSH PRIVATE KEY".utf8), detector: openssh, encrypted: false, derBody: false),
        Label(text: Array("PRIVATE KEY".utf8), detector: pkcs8, encrypted: false, derBody: true),
        Label(text: Array("ENCRYPTED PRIVATE KEY".utf8), detector: pkcs8, encrypted: true, derBody: true),
        Label(text: Array("PGP PRIVATE KEY BLOCK".utf8), detector: pgp, encrypted: false, derBody: false),
    ]

    private static let dashes = Array("-----".utf8)
    private static let endMarker = Array("-----END ".utf8)
    private static let encryptedWord = Array("ENCRYPTED".utf8)
    private static let opensshMagic = Array("b3BlbnNzaC1rZXktdjE".utf8)
    private static let labelClass = ByteClass("A-Z0-9 ")
    /// Bytes tolerated between base64 characters: line breaks, indentation, and the quotes and `+`
    /// of a key pasted into source code as concatenated string literals.
    private static let bodyFiller = ByteClass(" \t\r\n\"'+,")

    private static func pemBlock(_ input: ScanInput, _ at: Int) -> RuleMatch? {
        let labelStart = at + 11
        let labelLength = input.run(of: labelClass, from: labelStart, limit: 32)
        guard input.matches(dashes, at: labelStart + labelLength),
              let label = labels.first(where: { $0.text.count == labelLength && input.matches($0.text, at: labelStart) })
        else { return nil }

        var cursor = labelStart + labelLength + dashes.count
        var encrypted = label.encrypted
        var bodyStart: Int?
        var base64Count = 0
        let limit = min(input.count, cursor + 65536)
        var atLineStart = true
        while cursor < limit {
            let byte = input.bytes[cursor]
            if byte == UInt8(ascii: "-") {
                guard input.matches(endMarker, at: cursor) else { return nil }
                break
            }
            if byte == UInt8(ascii: "\\"), input.byte(cursor + 1) == UInt8(ascii: "n") || input.byte(cursor + 1) == UInt8(ascii: "r") {
                cursor += 2
                atLineStart = true
                continue
            }
            if bodyFiller.contains(byte) {
                if byte == UInt8(ascii: "\n") { atLineStart = true }
                cursor += 1
                continue
            }
            // RFC 1421 / RFC 4880 armour headers ("Proc-Type: 4,ENCRYPTED", "Version: …") before the body.
            if atLineStart, bodyStart == nil, let header = headerLine(input, from: cursor, limit: limit) {
                if input.firstIndex(of: encryptedWord, from: cursor, to: header) != nil { encrypted = true }
                cursor = header
                continue
            }
            guard ByteClass.base64.contains(byte) || byte == UInt8(ascii: "=") else { return nil }
            if bodyStart == nil { bodyStart = cursor }
            base64Count += 1
            atLineStart = false
            cursor += 1
        }
        guard cursor < limit, let bodyStart, base64Count >= 64 else { return nil }
        // DER bodies start with a SEQUENCE (0x30, base64 "M"); legacy encrypted PEM bodies are ciphertext.
        if label.derBody, !encrypted || label.encrypted, input.bytes[bodyStart] != UInt8(ascii: "M") { return nil }
        if label.detector.id == openssh.id {
            guard input.matches(opensshMagic, at: bodyStart) else { return nil }
            if opensshCipherIsNotNone(input, bodyStart: bodyStart) { encrypted = true }
        }
        let endLine = cursor + endMarker.count + input.run(of: labelClass, from: cursor + endMarker.count, limit: 32)
        return RuleMatch(
            label.detector, start: at, secret: bodyStart..<cursor, end: endLine + dashes.count,
            qualifiers: encrypted ? [.encrypted] : [], normalization: .base64Body)
    }

    /// End of an armour header line (`Name: value`), or nil when the line is not one.
    private static func headerLine(_ input: ScanInput, from start: Int, limit: Int) -> Int? {
        let nameLength = input.run(of: ByteClass("A-Za-z0-9-"), from: start, limit: 40)
        guard nameLength > 0, input.byte(start + nameLength) == UInt8(ascii: ":") else { return nil }
        var cursor = start + nameLength
        while cursor < limit {
            let byte = input.bytes[cursor]
            if byte == UInt8(ascii: "\n") { return cursor + 1 }
            if byte == UInt8(ascii: "\\"), input.byte(cursor + 1) == UInt8(ascii: "n") { return cursor + 2 }
            cursor += 1
        }
        return nil
    }

    /// OpenSSH keys start with "openssh-key-v1\0", then the cipher name as an SSH string.
    private static func opensshCipherIsNotNone(_ input: ScanInput, bodyStart: Int) -> Bool {
        let available = input.run(of: .base64, from: bodyStart, limit: 40)
        guard let header = Base64.decode(input.slice(bodyStart..<(bodyStart + available))),
              header.count >= 19 + 4 else { return false }
        let length = header[15..<19].reduce(0) { $0 << 8 | Int($1) }
        let name = header[19..<min(header.count, 19 + length)]
        return !name.elementsEqual("none".utf8)
    }

    private static let encryptionHeader = Array("Encryption: ".utf8)
    private static let privateLines = Array("Private-Lines:".utf8)
    private static let privateMAC = Array("Private-MAC:".utf8)
    private static let none = Array("none".utf8)

    private static func puttyKey(_ input: ScanInput, _ at: Int) -> RuleMatch? {
        let window = min(input.count, at + 16384)
        guard let encryption = input.firstIndex(of: encryptionHeader, from: at, to: min(window, at + 512)),
              let lines = input.firstIndex(of: privateLines, from: encryption, to: window),
              let bodyStart = input.firstIndex(of: [UInt8(ascii: "\n")], from: lines, to: window).map({ $0 + 1 }),
              let bodyEnd = input.firstIndex(of: privateMAC, from: bodyStart, to: window),
              bodyEnd - bodyStart >= 32 else { return nil }
        let encrypted = !input.matches(none, at: encryption + encryptionHeader.count)
        return RuleMatch(
            putty, start: at, secret: bodyStart..<bodyEnd, qualifiers: encrypted ? [.encrypted] : [],
            normalization: .base64Body)
    }
}
