import Foundation

/// Rules about how exposed or how weak a credential is: hard-coded secrets, world-readable keys,
/// weak keys and signatures, self-signed certificates in production.
extension FindingsEngine {
    /// A secret found by a detector in a file or in a repository's history. Critical when it is in
    /// git history (deleting the file does not remove it) or is a cloud access key; low when every
    /// place it was seen looks like test data.
    func checkHardCodedSecret(_ item: InventoryItem, into found: inout [Finding]) {
        guard let detector = item.detector, Self.isHardCodable(item.kind) else { return }
        let locations = item.locations
        var inGit = false
        var shown: Int?  // the location quoted in the evidence: the first git one, else the first file
        var codeLocations = 0
        var allTestPaths = !locations.isEmpty
        for index in locations.indices {
            let isGit = locations[index].type == "git"
            if isGit || locations[index].type == "file" {
                codeLocations += 1
                if shown == nil || (isGit && !inGit) { shown = index }
                inGit = inGit || isGit
            }
            if allTestPaths, !Self.looksLikeTestPath(locations[index].target) { allTestPaths = false }
        }
        guard let shown else { return }
        let testOnly = allTestPaths || item.notes.contains("test-file")
        let severity: Finding.Severity =
            testOnly ? .low : (inGit || item.kind == .cloudAccessKey ? .critical : .high)
        let evidence = Self.text { text in
            text += "found by detector "
            text += detector
            text += locations[shown].type == "git" ? " in the git history of " : " in "
            Self.append(locations[shown], to: &text)
            if codeLocations > 1 {
                text += " and "
                text += String(codeLocations - 1)
                text += codeLocations == 2 ? " more place" : " more places"
            }
            if testOnly { text += "; it looks like test data" }
        }
        let texts = Self.kindIndex(item.kind)
        found.append(
            finding(
                .hardCodedSecret, severity, item, title: kindTexts[texts].hardCoded, evidence: evidence,
                fix: inGit ? kindTexts[texts].hardCodedInGitFix : kindTexts[texts].hardCodedFix))
    }

    static func isHardCodable(_ kind: InventoryItem.Kind) -> Bool {
        switch kind {
        case .apiToken, .cloudAccessKey, .password, .kubernetesToken, .privateKey, .sshKey, .jwtSigningTrust: true
        default: false
        }
    }

    /// Paths of tests and fixtures (`/test/`, `/tests/`, `/testdata/`, `fixtures`, `_test.`,
    /// `.example`), compared case-insensitively; a relative path may also start with `test/`,
    /// `tests/` or `testdata/`.
    static func looksLikeTestPath(_ path: String) -> Bool {
        testPathMarkers.occurs(in: path) || testDirectories.contains { startsIgnoringCase(path, with: $0) }
    }

    static let testDirectories: [StaticString] = ["test/", "tests/", "testdata/"]

    /// `prefix` must be lowercase ASCII.
    static func startsIgnoringCase(_ text: String, with prefix: StaticString) -> Bool {
        var offset = 0
        for byte in text.utf8 {
            if offset == prefix.utf8CodeUnitCount { return true }
            if lower(byte) != prefix.utf8Start[offset] { return false }
            offset += 1
        }
        return offset == prefix.utf8CodeUnitCount
    }

    static let testPathMarkers = NeedleSet(["/test/", "/tests/", "/testdata/", "fixtures", "_test.", ".example"])

    static func hardCodedFix(_ kind: InventoryItem.Kind, inGit: Bool) -> String {
        let removal =
            inGit
            ? "remove it from the file and from the repository history (git filter-repo)"
            : "remove it from the file"
        return switch kind {
        case .cloudAccessKey:
            "Deactivate and rotate the access key at the provider, \(removal), and give the workload a "
                + "short-lived identity (instance role, workload identity federation or a Signet SVID) instead."
        case .apiToken:
            "Revoke the token at the issuing service and issue a replacement with the narrowest scopes, "
                + "\(removal), and load it at run time from a secret store."
        case .password:
            "Change the password at the service it unlocks, \(removal), and read it at run time from a secret store."
        case .privateKey, .sshKey:
            "Treat the key as compromised: replace it wherever it is trusted (revoke certificates issued for "
                + "it), \(removal), and keep keys out of source."
        case .kubernetesToken:
            "Delete the token's secret so the token stops working, \(removal), and use projected, short-lived "
                + "service account tokens."
        default:
            "Rotate the signing key (anyone who has it can forge tokens), \(removal), and load it from a key store."
        }
    }

    /// A private key in a file that its group or other users can read (the scanner's
    /// `world-readable` note).
    func checkWorldReadableKey(_ item: InventoryItem, into found: inout [Finding]) {
        guard item.kind == .privateKey || item.kind == .sshKey || item.kind == .pkcs12, !item.notes.isEmpty,
            item.notes.contains(where: { $0.utf8.starts(with: "world-readable".utf8) })
        else { return }
        let file = item.locations.first { $0.type == "file" } ?? item.locations.first
        var evidence = file.map { "\($0.target) is readable by its group or other users" }
            ?? "the key file is readable by its group or other users"
        if item.encrypted { evidence += " (the key is passphrase-protected)" }
        found.append(
            finding(
                .worldReadableKey, .high, item, title: kindTexts[Self.kindIndex(item.kind)].readableByOthers,
                evidence: evidence,
                fix: "Restrict the file to its owner (chmod 600, owned by the service account that uses it); if "
                    + "other users may have read it, rotate the key."))
    }

    /// RSA or DSA under 2048 bits, EC under 224 bits (P-192): breakable with today's means.
    func checkWeakKey(_ item: InventoryItem, into found: inout [Finding]) {
        guard let algorithm = item.algorithm, let size = item.keySize else { return }
        let minimum: Int
        switch Self.keyFamily(algorithm) {
        case .rsa, .dsa: minimum = 2048
        case .ec: minimum = 224
        case .other: return
        }
        guard size < minimum else { return }
        found.append(
            finding(
                .weakKey, .high, item, title: kindTexts[Self.kindIndex(item.kind)].weakKey,
                evidence: "\(algorithm) key of \(size) bits (minimum \(minimum))",
                fix: "Generate a new key (EC P-256, Ed25519 or RSA 3072), reissue whatever depends on it, and "
                    + "retire this one."))
    }

    enum KeyFamily { case rsa, dsa, ec, other }

    /// The family from the first word of the algorithm (`RSA`, `EC P-256`, `ECDSA`, `ssh-rsa`,
    /// `ssh-dss`, `RSA-PSS`), without allocating.
    static func keyFamily(_ algorithm: String) -> KeyFamily {
        var word: UInt64 = 0
        var length = 0
        for byte in algorithm.utf8 {
            let isDelimiter = byte == UInt8(ascii: " ") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
            if isDelimiter {
                // `ssh-rsa`, `ssh-dss`: the family is the second word.
                guard byte == UInt8(ascii: "-"), word == packed("ssh") else { break }
                word = 0
                length = 0
                continue
            }
            length += 1
            if length > 8 { return .other }
            word = word << 8 | UInt64(lower(byte))
        }
        switch word {
        case packed("rsa"): return .rsa
        case packed("dsa"), packed("dss"): return .dsa
        case packed("ec"), packed("ecdsa"): return .ec
        default: return .other
        }
    }

    private static func packed(_ text: StaticString) -> UInt64 {
        var word: UInt64 = 0
        for index in 0..<text.utf8CodeUnitCount { word = word << 8 | UInt64(text.utf8Start[index]) }
        return word
    }

    /// A certificate signed with SHA-1 or MD5 (collisions are practical, so signatures can be forged).
    /// A self-signed root's own signature is never checked, so that case is only medium.
    func checkWeakSignature(_ item: InventoryItem, into found: inout [Finding]) {
        guard let certificate = item.certificate, Self.hasWeakHash(certificate.signatureAlgorithm) else { return }
        let isRoot = certificate.selfSigned && certificate.isCA
        found.append(
            finding(
                .weakSignature, isRoot ? .medium : .high, item, title: "Weak certificate signature",
                evidence: "signed with \(certificate.signatureAlgorithm)"
                    + (isRoot ? " (a self-signed root; its own signature is not checked)" : ""),
                fix: isRoot
                    ? "Replace the root with one signed with SHA-256 or stronger when it is next rotated; "
                        + "SHA-1 roots are being distrusted."
                    : "Reissue the certificate with a SHA-256 (or stronger) signature."))
    }

    static func hasWeakHash(_ signatureAlgorithm: String) -> Bool {
        weakHashes.occurs(in: signatureAlgorithm)
    }

    static let weakHashes = NeedleSet(["sha1", "sha-1", "md5", "md2", "md4"])

    /// A self-signed leaf that clients are expected to trust: in a production environment, or
    /// served over TLS in an environment not known to be non-production.
    func checkSelfSignedInProduction(_ item: InventoryItem, into found: inout [Finding]) {
        guard let certificate = item.certificate, certificate.selfSigned, !certificate.isCA else { return }
        let environment = environmentClass(item)
        let served = item.locations.first { $0.type == "tls" }
        guard environment == .production || (served != nil && environment != .nonProduction) else { return }
        var evidence = "self-signed certificate \(certificate.subject)"
        if let served { evidence += " served at \(served.target)" }
        if environment == .production, let name = item.environment {
            evidence += " in production environment '\(name)'"
        }
        found.append(
            finding(
                .selfSignedInProduction, .high, item, title: "Self-signed certificate in production",
                evidence: evidence,
                fix: "Replace it with a certificate from a CA the clients trust (Signet's CA for internal services, "
                    + "an ACME CA for public ones), then remove any pinning of the self-signed certificate."))
    }
}

/// Lowercase ASCII strings searched for together, case-insensitively, in one pass over a text.
///
/// Test-path and weak-hash checks run on most items of a recomputation; one pass that only looks
/// closer at bytes which can start a needle costs a fraction of one search per needle.
struct NeedleSet: Sendable {
    private let needles: [[UInt8]]
    /// `startsNeedle[b]`: some needle begins with byte `b`.
    private let startsNeedle: [Bool]

    init(_ needles: [StaticString]) {
        self.needles = needles.map { needle in
            (0..<needle.utf8CodeUnitCount).map { FindingsEngine.lower(needle.utf8Start[$0]) }
        }
        var starts = [Bool](repeating: false, count: 256)
        for needle in self.needles where !needle.isEmpty { starts[Int(needle[0])] = true }
        startsNeedle = starts
    }

    /// True when any needle occurs in `text`, ignoring ASCII case.
    func occurs(in text: String) -> Bool {
        if let found = text.utf8.withContiguousStorageIfAvailable(occurs) { return found }
        return Array(text.utf8).withUnsafeBufferPointer(occurs)
    }

    private func occurs(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = bytes.count
        for start in 0..<n where startsNeedle[Int(FindingsEngine.lower(bytes[start]))] {
            for index in needles.indices {
                let needle = needles[index]
                guard needle.count <= n - start else { continue }
                var offset = 0
                while offset < needle.count, FindingsEngine.lower(bytes[start + offset]) == needle[offset] {
                    offset += 1
                }
                if offset == needle.count { return true }
            }
        }
        return false
    }
}
