import Foundation
import SignetCore
import SignetPKI
import SignetStore
import Synchronization

/// The server's in-memory inventory state: the compiled ownership rules applied on every
/// ingest, and the one findings recomputation allowed to run at a time.
///
/// Sendable without `@unchecked`: mutable state lives in a `Mutex`.
final class InventoryState: Sendable {
    private struct State {
        /// Compiled rules; nil until first use or after a rule changed.
        var resolver: OwnershipResolver?
        /// The recomputation in flight, which later callers join instead of starting another.
        var recomputation: Task<FindingsRecomputation, any Error>?
        var fingerprintKey: String?
    }

    private let state = Mutex(State())

    /// The deployment's fingerprint key, read or created once (under the lock, so two first
    /// callers cannot create two different keys).
    func fingerprintKey(_ configuration: ServerConfiguration) throws -> String {
        try state.withLock { state in
            if let key = state.fingerprintKey { return key }
            let key = try FingerprintKey.loadOrCreate(configuration)
            state.fingerprintKey = key
            return key
        }
    }

    func cachedResolver() -> OwnershipResolver? { state.withLock { $0.resolver } }
    func setResolver(_ resolver: OwnershipResolver?) { state.withLock { $0.resolver = resolver } }

    /// Runs `work` unless a recomputation is already running, in which case its result is shared.
    func recompute(_ work: @escaping @Sendable () async throws -> FindingsRecomputation) async throws
        -> FindingsRecomputation
    {
        let task = state.withLock { state -> Task<FindingsRecomputation, any Error> in
            if let running = state.recomputation { return running }
            let task = Task { try await work() }
            state.recomputation = task
            return task
        }
        defer { state.withLock { if $0.recomputation == task { $0.recomputation = nil } } }
        return try await task.value
    }
}

/// The per-deployment key that fingerprints secrets (HMAC-SHA256), so the same secret found by
/// different scanners is one inventory item while the inventory cannot reveal it.
///
/// It lives beside the CA keys (`<data-dir>/inventory/fingerprint.key`, mode 0600), is created on
/// first use, and is handed only to authenticated admins (the scanners that upload results).
enum FingerprintKey {
    static func path(_ configuration: ServerConfiguration) -> String {
        configuration.dataDirectory + "/inventory/fingerprint.key"
    }

    static func loadOrCreate(_ configuration: ServerConfiguration) throws -> String {
        let path = path(configuration)
        if SecureFile.exists(path) {
            return try SecureFile.read(path).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        try SecureFile.makeDirectory(configuration.dataDirectory + "/inventory")
        var generator = SystemRandomNumberGenerator()
        let key = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        try SecureFile.write(key + "\n", to: path)
        return key
    }
}
