import Foundation

/// One `-----BEGIN LABEL-----` ... `-----END LABEL-----` block of a file, with the 1-based line of
/// its BEGIN line, its RFC 1421 headers (`Proc-Type: 4,ENCRYPTED`, `DEK-Info: ...`) and the
/// decoded body.
struct PEMBlock {
    var label: String
    var line: Int
    var headers: [String: String]
    var der: [UInt8]

    /// Legacy OpenSSL encryption (`Proc-Type: 4,ENCRYPTED`) of a PKCS#1/SEC1 key.
    var hasEncryptedHeader: Bool {
        headers["Proc-Type"]?.uppercased().contains("ENCRYPTED") ?? false
    }

    /// Every well-formed block in `bytes`; blocks with a bad body or no END line are skipped (the
    /// secret scanner still reports their armour).
    static func all(in bytes: [UInt8]) -> [PEMBlock] {
        let text = String(decoding: bytes, as: UTF8.self)
        var blocks: [PEMBlock] = []
        var current: (label: String, line: Int, headers: [String: String], body: String, inHeaders: Bool)?
        var lineNumber = 0
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            lineNumber += 1
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if let label = armour(line, "-----BEGIN ") {
                current = (label, lineNumber, [:], "", true)
                continue
            }
            guard var block = current else { continue }
            if let label = armour(line, "-----END ") {
                if label == block.label, let data = Data(base64Encoded: block.body) {
                    blocks.append(PEMBlock(label: label, line: block.line, headers: block.headers, der: Array(data)))
                }
                current = nil
                continue
            }
            if block.inHeaders, let colon = line.firstIndex(of: ":") {
                let name = String(line[..<colon]).trimmingCharacters(in: .whitespaces)
                block.headers[name] = String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
            } else if !line.isEmpty {
                block.inHeaders = false
                block.body += line
            }
            current = block
        }
        return blocks
    }

    private static func armour(_ line: String, _ prefix: String) -> String? {
        guard line.hasPrefix(prefix), line.hasSuffix("-----"), line.count > prefix.count + 5 else { return nil }
        return String(line.dropFirst(prefix.count).dropLast(5))
    }
}
