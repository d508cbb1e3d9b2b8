import Foundation
import SignetCore

/// A security observation about a discovered credential, as reported by `scan path`.
public enum CredentialPosture: String, Sendable, Codable, CaseIterable, Comparable {
    case expired = "expired"
    case expiringSoon = "expiring-soon"
    case weakKey = "weak-key"
    case weakSignature = "weak-signature"
    case worldReadablePrivateKey = "world-readable-private-key"
    case selfSigned = "self-signed"

    /// Certificates expiring within this window are flagged `expiring-soon`.
    public static let expiryWarning: TimeInterval = 30 * 24 * 3600

    public static func < (lhs: Self, rhs: Self) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// Whether the note is a problem to fix (self-signed alone is a fact, common for roots and tests).
    public var isProblem: Bool { self != .selfSigned }

    /// One sentence for tables and SARIF messages.
    public var summary: String {
        switch self {
        case .expired: "The certificate has expired."
        case .expiringSoon: "The certificate expires within 30 days."
        case .weakKey: "The key is too small (RSA/DSA under 2048 bits or an EC curve under 224 bits such as P-192)."
        case .weakSignature: "The certificate is signed with SHA-1 or MD5, which are forgeable."
        case .worldReadablePrivateKey: "A file holding a private key is readable by its group or by other users (mode & 044)."
        case .selfSigned: "The certificate is self-signed."
        }
    }

    /// The notes that apply to `item`; `exposedPaths` are its file locations readable by group or others.
    public static func notes(for item: InventoryItem, exposedPaths: [String], now: Date) -> [CredentialPosture] {
        var notes: [CredentialPosture] = []
        if let facts = item.certificate {
            if facts.notAfter < now {
                notes.append(.expired)
            } else if facts.notAfter.timeIntervalSince(now) < expiryWarning {
                notes.append(.expiringSoon)
            }
            let signature = facts.signatureAlgorithm.lowercased()
            if signature.contains("sha1") || signature.contains("md5") { notes.append(.weakSignature) }
            if facts.selfSigned { notes.append(.selfSigned) }
        }
        if let size = item.keySize, let algorithm = item.algorithm {
            let weak = algorithm == "RSA" || algorithm == "DSA" ? size < 2048 : algorithm.hasPrefix("EC") && size < 224
            if weak { notes.append(.weakKey) }
        }
        if holdsPrivateKey(item.kind), !exposedPaths.isEmpty { notes.append(.worldReadablePrivateKey) }
        return notes.sorted()
    }

    static func holdsPrivateKey(_ kind: InventoryItem.Kind) -> Bool {
        kind == .privateKey || kind == .sshKey || kind == .pkcs12
    }
}

/// A credential found by `scan path`: the inventory item (one per credential, every file it was seen
/// in as a location), the file paths that expose it to other users, and its posture notes.
public struct DiscoveredCredential: Sendable, Codable {
    public var item: InventoryItem
    /// Locations (paths) of private-key material whose file mode grants read to group or others.
    public var exposedPaths: [String]
    public var posture: [CredentialPosture]

    public init(item: InventoryItem, exposedPaths: [String] = [], posture: [CredentialPosture] = []) {
        self.item = item
        self.exposedPaths = exposedPaths
        self.posture = posture
    }
}
