import Foundation
import SignetCore
import SignetStore

/// Registration entry management: every change is checked against governance
/// first and stored with its audit event in one transaction.
extension SignetAuthority {
    public func createEntry(_ draft: RegistrationEntry, actor: String) async throws -> RegistrationEntry {
        var entry = draft
        entry.createdBy = actor
        entry.createdAt = Date()
        entry.updatedAt = entry.createdAt
        entry.revision = 1
        try checkFederatesWith(entry, previous: nil)
        try await checkPolicy(entry, actor: actor, action: "entry.create")
        let event = AuditEvent(
            actor: actor, action: "entry.create", subject: entry.id, outcome: .success,
            details: ["spiffe_id": entry.spiffeID.description, "owner": entry.owner])
        try await store.createEntry(entry, event: event)
        entryIndex.upsert(entry)
        return entry
    }

    public func updateEntry(id: String, actor: String, change: (inout RegistrationEntry) throws -> Void) async throws
        -> RegistrationEntry
    {
        guard let existing = try await store.entry(id: id) else {
            throw StoreError.notFound("entry \(id)")
        }
        var entry = existing
        try change(&entry)
        entry.id = existing.id
        entry.createdBy = existing.createdBy
        entry.createdAt = existing.createdAt
        entry.updatedAt = Date()
        entry.revision = existing.revision + 1
        try checkFederatesWith(entry, previous: existing)
        try await checkPolicy(entry, actor: actor, action: "entry.update")
        let event = AuditEvent(
            actor: actor, action: "entry.update", subject: entry.id, outcome: .success,
            details: ["spiffe_id": entry.spiffeID.description, "revision": "\(entry.revision)"])
        try await store.updateEntry(entry, event: event)
        entryIndex.upsert(entry)
        return entry
    }

    public func deleteEntry(id: String, actor: String) async throws -> RegistrationEntry {
        let event = AuditEvent(actor: actor, action: "entry.delete", subject: id, outcome: .success)
        let deleted = try await store.deleteEntry(id: id, event: event)
        entryIndex.remove(id: id)
        return deleted
    }

    /// Refusals are recorded too: a rejected change is still an admin action worth seeing.
    private func checkPolicy(_ entry: RegistrationEntry, actor: String, action: String) async throws {
        let problems = policy.violations(of: entry)
        guard problems.isEmpty else {
            let reason = problems.joined(separator: "; ")
            let event = AuditEvent(
                actor: actor, action: action, subject: entry.spiffeID.description, outcome: .denied, reason: reason)
            try? await store.appendEvent(event)
            throw APIError.policy(problems)
        }
    }
}
