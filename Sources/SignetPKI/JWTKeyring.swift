import Foundation

/// The trust domain's JWT signing keys: the active one signs, all are published
/// so tokens signed before a rotation still verify until they expire.
///
/// Stored as `<dir>/<kid>.<ALG>.key` (PKCS#8 PEM, 0600) plus `<dir>/active`
/// naming the active kid.
public struct JWTKeyring: Sendable {
    public let active: JWTSigningKey
    public let publicKeys: [JWTPublicKey]

    public init(active: JWTSigningKey, retired: [JWTPublicKey] = []) {
        self.active = active
        self.publicKeys = [active.publicKey] + retired.filter { $0.kid != active.kid }
    }

    /// Loads every key in `directory`; creates a first key of `algorithm` when there is none.
    public static func loadOrCreate(directory: String, algorithm: JWTAlgorithm) throws -> JWTKeyring {
        try SecureFile.makeDirectory(directory)
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var keys: [JWTSigningKey] = []
        for file in files.sorted() where file.hasSuffix(".key") {
            let parts = file.dropLast(4).split(separator: ".")
            guard parts.count == 2, let alg = JWTAlgorithm(rawValue: String(parts[1])) else { continue }
            keys.append(try JWTSigningKey(pem: SecureFile.read("\(directory)/\(file)"), algorithm: alg, kid: String(parts[0])))
        }
        let activeKid = (try? SecureFile.read(directory + "/active"))?.trimmingCharacters(in: .whitespacesAndNewlines)
        if let active = keys.first(where: { $0.kid == activeKid && $0.algorithm == algorithm }) {
            return JWTKeyring(active: active, retired: keys.map(\.publicKey))
        }
        // First start, or the configured algorithm changed: a new key becomes active, old ones stay published.
        let key = try JWTSigningKey.generate(algorithm)
        try SecureFile.write(key.pemRepresentation, to: "\(directory)/\(key.kid).\(algorithm.rawValue).key")
        try SecureFile.write(key.kid + "\n", to: directory + "/active", mode: 0o644)
        return JWTKeyring(active: key, retired: keys.map(\.publicKey))
    }
}
