import Foundation
import Logging
import SignetCore
import SignetPKI
import SignetStore
import X509

/// First start and every start: data directory, store, CA, JWT keys, bundle,
/// the server's TLS certificate and the bootstrap admin credential.
///
/// Safe to repeat: existing material is loaded, never overwritten, and a data
/// directory created for another trust domain is refused.
enum ServerBootstrap {
    static func start(configuration: ServerConfiguration, logger: Logger) async throws -> SignetAuthority {
        try configuration.validate()
        try SecureFile.makeDirectory(configuration.dataDirectory)
        let store = try SQLiteStore(
            path: configuration.databasePath, durability: SQLiteStore.Durability(rawValue: configuration.storeDurability) ?? .full)

        let td = configuration.trustDomain
        if let recorded = try await store.meta("trust_domain") {
            guard recorded == td.name else {
                throw ConfigurationError(problems: [
                    "data directory \(configuration.dataDirectory) belongs to trust domain '\(recorded)', not '\(td.name)': pass --trust-domain \(recorded) or use another --data-dir"
                ])
            }
        }
        let ca = try CABootstrap.loadOrCreate(
            directory: configuration.caDirectory,
            settings: CASettings(
                trustDomain: td, keyType: configuration.caKeyType, upstream: configuration.upstream,
                nameConstraints: configuration.caNameConstraints))
        let algorithm = JWTAlgorithm(rawValue: configuration.jwtAlgorithm) ?? .es256
        let jwtKeys = try JWTKeyring.loadOrCreate(directory: configuration.jwtDirectory, algorithm: algorithm)
        if try await store.meta("trust_domain") == nil {
            try await store.setMeta(
                "trust_domain", to: td.name,
                event: AuditEvent(
                    actor: "system", action: "server.initialize", subject: td.idString, outcome: .success,
                    details: ["ca_key_type": configuration.caKeyType.rawValue, "jwt_algorithm": algorithm.rawValue]))
        }
        let bundle = try await publishBundle(
            store: store, trustDomain: td, roots: ca.roots, jwtKeys: jwtKeys.publicKeys,
            refreshHint: configuration.bundleRefreshHint)
        return try SignetAuthority(
            configuration: configuration, store: store, ca: ca, jwtKeys: jwtKeys, bundle: bundle, logger: logger)
    }

    /// Bumps `spiffe_sequence` whenever the set of published keys differs from the last one published.
    static func publishBundle(
        store: any Store, trustDomain: TrustDomain, roots: [Certificate], jwtKeys: [JWTPublicKey], refreshHint: Int
    ) async throws -> PublishedBundle {
        var bundle = TrustBundle(
            trustDomain: trustDomain, x509Authorities: roots, jwtAuthorities: jwtKeys, sequence: 0,
            refreshHint: refreshHint)
        let fingerprint = try bundle.keyFingerprint()
        // One meta value holds both facts so a crash can never leave a new key set with an old sequence.
        let previous = (try await store.meta("bundle.state") ?? "0 -").split(separator: " ")
        let previousSequence = Int64(previous.first ?? "0") ?? 0
        if previous.count == 2, previous[1] == fingerprint {
            bundle.sequence = previousSequence
        } else {
            bundle.sequence = previousSequence + 1
            try await store.setMeta(
                "bundle.state", to: "\(bundle.sequence) \(fingerprint)",
                event: AuditEvent(
                    actor: "system", action: "bundle.publish", subject: trustDomain.idString, outcome: .success,
                    details: ["sequence": String(bundle.sequence), "fingerprint": fingerprint]))
        }
        return try PublishedBundle(bundle)
    }
}
