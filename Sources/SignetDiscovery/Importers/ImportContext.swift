import Crypto
import Foundation
import SignetCore

/// What every format importer needs: the file name, the clock, the secret fingerprinter, and a
/// place to put warnings.
struct ImportContext {
    let source: String
    let now: Date
    let fingerprinter: SecretFingerprinter
    let format: ImportFormat
    var warnings = ImportWarnings()

    /// `import:<format>`, the detector recorded on every imported item.
    var detector: String { "import:" + format.rawValue }

    /// A sighting in another system: an AWS account, a cluster, an organisation, a SPIRE server.
    func account(_ target: String) -> InventoryItem.Location {
        InventoryItem.Location(type: "account", target: target, firstSeen: now)
    }
}

/// What a format importer hands back: the items and how many source records it read.
typealias ImportOutput = (items: [InventoryItem], records: Int)

/// Fingerprints for credentials known only by a reference, never by their bytes.
///
/// A listing such as the IAM credential report describes a credential without showing it (no key
/// id, no public key), so the item's identity is derived from a stable, namespaced reference:
/// `sha256:` + hex SHA-256 of `<namespace>:<reference>`. The namespace keeps different sources from
/// colliding; the reference is public (an ARN, a token id), so nothing secret is hashed.
enum ReferenceFingerprint {
    static func of(_ namespace: String, _ reference: String) -> String {
        var text = namespace + ":" + reference
        let digest = text.withUTF8 { SHA256.hash(data: UnsafeRawBufferPointer($0)) }
        return "sha256:" + digest.withUnsafeBytes { Hex.encode(Array($0)) }
    }
}
