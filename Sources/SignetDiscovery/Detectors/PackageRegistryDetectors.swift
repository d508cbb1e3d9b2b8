/// npm, PyPI and container-registry credentials: publishing rights, hence supply-chain attacks.
enum PackageRegistryDetectors: DetectorFamily {
    static let npmToken = SecretDetector(
        id: "npm-token", kind: .apiToken, severity: .high, specificity: .structured,
        description: "npm access token (npm_…), checksum verified; may publish packages.")
    static let pypiToken = SecretDetector(
        id: "pypi-token", kind: .apiToken, severity: .high, specificity: .structured,
        description: "PyPI API token (pypi-AgEIcHlwaS5vcmc…, a macaroon for pypi.org); may upload releases.")
    static let dockerConfigAuth = SecretDetector(
        id: "docker-config-auth", kind: .password, severity: .high, specificity: .contextual,
        description: "Registry credentials in a Docker config.json `auths` entry (base64 user:password).")

    static var detectors: [SecretDetector] { [npmToken, pypiToken, dockerConfigAuth] }

    static var anchorRules: [AnchorRule] {
        [
            .token(npmToken, prefix: "npm_", body: .alphanumeric, length: 36...36) {
                Checksums.hasValidPrefixedCRC32($0, prefixLength: 4)
            },
            .token(pypiToken, prefix: "pypi-AgEIcHlwaS5vcmc", body: .base64URL, length: 50...400),
        ]
    }

    private static let authsMember = Array("\"auths\"".utf8)

    static var assignmentRules: [AssignmentRule] {
        [AssignmentRule { a in
            guard a.keyIs("auth"), a.quoted, a.valueLength >= 8, a.valueAll(ByteClass("A-Za-z0-9+/=")),
                  let decoded = Base64.decode(a.valueBytes),
                  let colon = decoded.firstIndex(of: UInt8(ascii: ":")), colon > 0, colon < decoded.count - 1,
                  decoded.allSatisfy({ (0x20...0x7E).contains($0) }),
                  a.input.firstIndex(of: authsMember, from: max(0, a.value.lowerBound - 65536), to: a.value.lowerBound) != nil
            else { return nil }
            return a.match(dockerConfigAuth)
        }]
    }
}
