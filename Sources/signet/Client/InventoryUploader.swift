import Foundation
import SignetCore
import SignetDiscovery
import SignetStore

/// Sends scanner and importer results to the server's inventory, in uploads small enough for
/// the server's limits, and fetches the deployment's secret-fingerprint key so that secrets are
/// fingerprinted here and never leave the machine that found them.
struct InventoryUploader {
    let client: AdminClient
    /// Items per request: the server's maximum; larger uploads commit fewer, bigger transactions.
    static let chunk = 10_000

    func fingerprinter() async throws -> SecretFingerprinter {
        struct Key: Decodable { let key: String }
        let data = try await client.send(.GET, "/v1/inventory/fingerprint-key")
        let key = try CLIJSON.decoder.decode(Key.self, from: data).key
        return SecretFingerprinter(key: Array(key.utf8))
    }

    /// Uploads `items` in chunks and returns the summed summary.
    func upload(_ items: [InventoryItem], source: String) async throws -> InventoryIngestSummary {
        var total = InventoryIngestSummary()
        var start = 0
        repeat {
            let slice = Array(items[start..<min(start + Self.chunk, items.count)])
            start += Self.chunk
            struct Body: Encodable {
                let source: String
                let items: [InventoryItem]
            }
            let json = try CLIJSON.encoder.encode(Body(source: source, items: slice))
            let data = try await client.send(.POST, "/v1/inventory", json: json)
            let summary = try CLIJSON.decoder.decode(InventoryIngestSummary.self, from: data)
            total.received += summary.received
            total.created += summary.created
            total.updated += summary.updated
            total.ownersAssigned += summary.ownersAssigned
        } while start < items.count
        return total
    }
}
