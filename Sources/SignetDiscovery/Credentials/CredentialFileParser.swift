import Foundation
import SignetCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns a file's bytes into inventory items: X.509 certificates (PEM, DER), private keys (PKCS#1,
/// PKCS#8, SEC1, DSA, OpenSSH; encrypted ones flagged) and PKCS#12 bundles.
///
/// Keys and certificates are fingerprinted by their public key (`sha256:` of the SubjectPublicKeyInfo
/// DER), so a certificate and its private key share a fingerprint and the same certificate in two
/// files is one item. Nothing private leaves this type: items carry public facts only. Blocks that do
/// not parse are skipped here; the secret scanner still reports their armour.
public struct CredentialFileParser: Sendable {
    public init() {}

    /// File extensions read as credentials even without PEM armour (DER certificates, PKCS#12).
    public static let credentialExtensions: Set<String> = ["pem", "crt", "cer", "der", "key", "p12", "pfx", "p8", "pk8"]
    static let derCertificateExtensions: Set<String> = ["der", "cer", "crt"]
    static let pkcs12Extensions: Set<String> = ["p12", "pfx"]

    /// Whether a file is worth parsing: a credential extension or PEM armour in its content.
    public static func isCandidate(path: String, bytes: [UInt8]) -> Bool {
        credentialExtensions.contains(fileExtension(path)) || containsPEMArmour(bytes)
    }

    /// Every credential in the file, each located at `path` (and the line of its PEM block).
    public func parse(_ bytes: [UInt8], path: String, now: Date = Date()) -> [InventoryItem] {
        let ext = Self.fileExtension(path)
        if Self.pkcs12Extensions.contains(ext) {
            return [InventoryItem(
                kind: .pkcs12, fingerprint: PublicKeyDescription.fingerprint(of: bytes), detector: "pkcs12-file",
                locations: [location(path, line: nil, now: now)], encrypted: true)]
        }
        var items: [InventoryItem] = []
        if Self.containsPEMArmour(bytes) {
            for block in PEMBlock.all(in: bytes) {
                if let item = item(for: block, path: path, now: now) { items.append(item) }
            }
        }
        if items.isEmpty, Self.derCertificateExtensions.contains(ext), bytes.first == 0x30,
           let certificate = try? ParsedCertificate(der: bytes) {
            items.append(certificateItem(certificate, detector: "der-certificate", path: path, line: nil, now: now))
        }
        return items
    }

    /// The permission bits of `path` (nil when it cannot be stat'ed).
    public static func mode(ofFile path: String) -> UInt32? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        return UInt32(status.st_mode) & 0o7777
    }

    /// Group- or other-readable (mode & 0o044): a private key in such a file is exposed to other users.
    public static func isReadableByOthers(mode: UInt32) -> Bool { mode & 0o044 != 0 }

    // MARK: - Blocks

    private func item(for block: PEMBlock, path: String, now: Date) -> InventoryItem? {
        let here = location(path, line: block.line, now: now)
        switch block.label {
        case "CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE":
            guard let certificate = try? ParsedCertificate(der: block.der) else { return nil }
            return certificateItem(certificate, detector: "pem-certificate", path: path, line: block.line, now: now)
        case "ENCRYPTED PRIVATE KEY":
            return encryptedKey(block, algorithm: nil, detector: "pem-private-key-pkcs8", at: here)
        case "RSA PRIVATE KEY", "EC PRIVATE KEY", "DSA PRIVATE KEY", "PRIVATE KEY":
            let (detector, algorithm) = Self.keyLabels[block.label]!
            if block.hasEncryptedHeader { return encryptedKey(block, algorithm: algorithm, detector: detector, at: here) }
            let spki: [UInt8]
            do {
                switch block.label {
                case "RSA PRIVATE KEY": spki = try PrivateKeyParser.pkcs1(block.der)
                case "EC PRIVATE KEY": spki = try PrivateKeyParser.sec1(block.der)
                case "DSA PRIVATE KEY": spki = try PrivateKeyParser.dsa(block.der)
                default: spki = try PrivateKeyParser.pkcs8(block.der)
                }
            } catch {
                return nil
            }
            return keyItem(.privateKey, spki: spki, detector: detector, encrypted: false, at: here)
        case "OPENSSH PRIVATE KEY":
            guard let parsed = try? OpenSSHKeyParser.parse(block.der) else { return nil }
            return keyItem(.sshKey, spki: parsed.spki, detector: "openssh-private-key", encrypted: parsed.encrypted, at: here)
        default:
            return nil
        }
    }

    private static let keyLabels: [String: (String, String?)] = [
        "RSA PRIVATE KEY": ("pem-private-key-pkcs1", "RSA"), "EC PRIVATE KEY": ("pem-private-key-sec1", "EC"),
        "DSA PRIVATE KEY": ("pem-private-key-dsa", "DSA"), "PRIVATE KEY": ("pem-private-key-pkcs8", nil),
    ]

    private func keyItem(_ kind: InventoryItem.Kind, spki: [UInt8], detector: String, encrypted: Bool,
                         at location: InventoryItem.Location) -> InventoryItem? {
        guard let key = try? PublicKeyDescription(spki: spki) else { return nil }
        return InventoryItem(
            kind: kind, fingerprint: key.fingerprint, detector: detector, locations: [location],
            algorithm: key.displayAlgorithm, keySize: key.keySize, encrypted: encrypted)
    }

    /// An encrypted key's public half is sealed with it, so its fingerprint is the hash of the
    /// encrypted DER: stable for that file, but not linked to the certificate of the same key.
    private func encryptedKey(_ block: PEMBlock, algorithm: String?, detector: String,
                              at location: InventoryItem.Location) -> InventoryItem {
        InventoryItem(
            kind: .privateKey, fingerprint: PublicKeyDescription.fingerprint(of: block.der), detector: detector,
            locations: [location], algorithm: algorithm, encrypted: true)
    }

    private func certificateItem(_ certificate: ParsedCertificate, detector: String, path: String, line: Int?,
                                 now: Date) -> InventoryItem {
        let facts = certificate.facts
        return InventoryItem(
            kind: .x509Certificate, fingerprint: certificate.publicKey.fingerprint, detector: detector,
            locations: [location(path, line: line, now: now)], created: facts.notBefore, expires: facts.notAfter,
            algorithm: certificate.publicKey.displayAlgorithm, keySize: certificate.publicKey.keySize,
            certificate: facts, status: facts.notAfter < now ? .expired : .active)
    }

    private func location(_ path: String, line: Int?, now: Date) -> InventoryItem.Location {
        InventoryItem.Location(type: "file", target: path, line: line, firstSeen: now)
    }

    // MARK: - Helpers

    static func fileExtension(_ path: String) -> String {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return "" }
        return name[name.index(after: dot)...].lowercased()
    }

    private static let beginMarker = Array("-----BEGIN".utf8)

    static func containsPEMArmour(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= beginMarker.count else { return false }
        var index = bytes.startIndex
        while let dash = bytes[index...].firstIndex(of: 0x2D) {
            if bytes[dash...].starts(with: beginMarker) { return true }
            index = dash + 1
        }
        return false
    }
}
