import Foundation
import SignetCore
import SignetPKI

/// What the agent keeps on disk so that, restarted while the server is down, it serves
/// unexpired SVIDs at once: the entries, bundle and federated bundles of the last sync (`state.json`) and one
/// file per workload SVID (`svids/<entry-id>.json`, with its private key). All files 0600.
struct AgentStateFiles {
    let directory: String

    struct SyncState: Codable {
        var epoch: String
        var revision: Int
        var bundleSequence: Int64
        var bundleJSON: String
        var entries: [RegistrationEntry]
        /// Federated trust domains' bundle documents by trust domain name (absent in files of older agents).
        var federatedBundles: [String: String]?
    }

    struct StoredSVID: Codable {
        var entryID: String
        var spiffeID: SPIFFEID
        var chain: [String]  // base64 DER, leaf first
        var key: String  // base64 PKCS#8
        var notBefore: Date
        var notAfter: Date
        var renewAt: Date
        var entryRevision: Int
    }

    var statePath: String { directory + "/state.json" }
    var svidDirectory: String { directory + "/svids" }

    func loadSyncState() -> SyncState? {
        guard let data = FileManager.default.contents(atPath: statePath) else { return nil }
        return try? Self.decoder.decode(SyncState.self, from: data)
    }

    func saveSyncState(_ state: SyncState) throws {
        try SecureFile.makeDirectory(directory)
        try SecureFile.write(String(decoding: try Self.encoder.encode(state), as: UTF8.self), to: statePath)
    }

    /// Unexpired SVIDs from disk; expired or unreadable files are removed.
    func loadSVIDs(now: Date = Date()) -> [String: WorkloadSVID] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: svidDirectory)) ?? []
        var out: [String: WorkloadSVID] = [:]
        for file in files where file.hasSuffix(".json") {
            let path = svidDirectory + "/" + file
            guard let data = FileManager.default.contents(atPath: path),
                let stored = try? Self.decoder.decode(StoredSVID.self, from: data), stored.notAfter > now,
                let key = Data(base64Encoded: stored.key)
            else {
                try? FileManager.default.removeItem(atPath: path)
                continue
            }
            var svid = WorkloadSVID(
                entryID: stored.entryID, spiffeID: stored.spiffeID,
                chainDER: stored.chain.compactMap { Data(base64Encoded: $0).map { Array($0) } }, keyPKCS8: Array(key),
                notBefore: stored.notBefore, notAfter: stored.notAfter, entryRevision: stored.entryRevision)
            svid.renewAt = stored.renewAt
            out[stored.entryID] = svid
        }
        return out
    }

    func save(_ svid: WorkloadSVID) throws {
        try SecureFile.makeDirectory(svidDirectory)
        let stored = StoredSVID(
            entryID: svid.entryID, spiffeID: svid.spiffeID, chain: svid.chainDER.map { Data($0).base64EncodedString() },
            key: Data(svid.keyPKCS8).base64EncodedString(), notBefore: svid.notBefore, notAfter: svid.notAfter,
            renewAt: svid.renewAt, entryRevision: svid.entryRevision)
        try SecureFile.write(
            String(decoding: try Self.encoder.encode(stored), as: UTF8.self), to: svidPath(svid.entryID))
    }

    func removeSVID(entryID: String) {
        try? FileManager.default.removeItem(atPath: svidPath(entryID))
    }

    /// Entry ids are server-generated UUIDs; anything else is refused as a file name.
    private func svidPath(_ entryID: String) -> String {
        let safe = entryID.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" } ? entryID : "invalid"
        return svidDirectory + "/" + safe + ".json"
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .millisecondsSince1970
        return e
    }()
    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .millisecondsSince1970
        return d
    }()
}
