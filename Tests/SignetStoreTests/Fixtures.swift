import Foundation
import SignetCore
import Testing

@testable import SignetStore

/// Values shared by the store tests.
enum Fixture {
    /// An instant `milliseconds` after 2023-11-14T22:13:20.123Z. The store keeps
    /// milliseconds, and a `Date` built from whole milliseconds since 1970 reads
    /// back equal (one built by `Date` arithmetic may be a rounding step away).
    static func time(_ milliseconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(1_700_000_000_123 + milliseconds) / 1000)
    }

    static let base = time(0)

    static func id(_ text: String) -> SPIFFEID {
        try! SPIFFEID(text)
    }

    static func selector(_ text: String) -> Selector {
        try! Selector(text)
    }

    static func entry(
        id: String = UUID().uuidString.lowercased(),
        spiffeID: String = "spiffe://example.org/prod/payments/api",
        parentID: String? = "spiffe://example.org/agent/node-1",
        selectors: [String] = ["unix:uid:1000", "k8s:ns:payments"],
        owner: String = "team-payments"
    ) -> RegistrationEntry {
        RegistrationEntry(
            id: id,
            spiffeID: Self.id(spiffeID),
            parentID: parentID.map(Self.id),
            selectors: selectors.map(selector),
            x509TTL: 3600,
            jwtTTL: 300,
            dnsNames: ["api.payments.example.org", "*.payments.internal"],
            owner: owner,
            purpose: "serves the payments API",
            environment: "prod",
            expiresAt: time(86_400_000 * 30),
            createdBy: "spiffe://example.org/signet/admin/alice",
            createdAt: base,
            updatedAt: time(60_500),
            revision: 3
        )
    }

    static func credential(
        serial: String, kind: CredentialRecord.Kind = .x509SVID,
        spiffeID: String = "spiffe://example.org/prod/payments/api", issuedAt: Int64 = 0
    ) -> CredentialRecord {
        CredentialRecord(
            serial: serial,
            kind: kind,
            spiffeID: Self.id(spiffeID),
            entryID: "entry-1",
            publicKeyFingerprint: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            notBefore: time(issuedAt - 30_000),
            notAfter: time(issuedAt + 3_600_000),
            issuedTo: "spiffe://example.org/agent/node-1",
            issuedAt: time(issuedAt),
            audience: kind == .jwtSVID ? ["https://bank.example", "spiffe://example.org/prod/ledger"] : []
        )
    }

    static func event(_ action: String, subject: String = "subject", time: Date = base) -> AuditEvent {
        AuditEvent(
            time: time, actor: "spiffe://example.org/signet/admin/alice", action: action, subject: subject,
            outcome: .success, reason: "because", details: ["ticket": "OPS-42", "path": "/a/b"])
    }

    /// Expects `body` to throw exactly `expected`.
    static func expectError(
        _ expected: StoreError, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void
    ) async {
        do {
            try await body()
            Issue.record("expected \(expected), nothing was thrown", sourceLocation: sourceLocation)
        } catch let error as StoreError {
            #expect(error == expected, sourceLocation: sourceLocation)
        } catch {
            Issue.record("expected \(expected), got \(error)", sourceLocation: sourceLocation)
        }
    }

    /// Expects `body` to throw a conflict and returns its message.
    static func conflictMessage(
        sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void
    ) async -> String? {
        do {
            try await body()
            Issue.record("expected a conflict, nothing was thrown", sourceLocation: sourceLocation)
        } catch StoreError.conflict(let message) {
            return message
        } catch {
            Issue.record("expected a conflict, got \(error)", sourceLocation: sourceLocation)
        }
        return nil
    }
}

/// A fresh directory for file-backed stores, removed when the test ends.
func withTemporaryDirectory<T>(_ body: (URL) async throws -> T) async throws -> T {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("signet-store-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try await body(directory)
}
