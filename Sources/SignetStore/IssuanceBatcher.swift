import GRDB
import SignetCore
import Synchronization

/// One credential to record together with its event, encoded by the caller
/// before it joins a batch (so an unencodable value fails only that caller).
struct PendingIssuance: Sendable {
    let credential: EncodedCredential
    let event: EncodedEvent
    /// Single-use tokens this issuance consumes: (key, expiry in ms, now in ms).
    var tokenUses: [(key: String, expiresAt: Int64)] = []
    var now: Int64 = 0

    /// Writes both rows or, on error, neither (the caller wraps this in a savepoint).
    func insert(_ db: Database) throws {
        do {
            try credential.insert(db)
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY {
            throw StoreError.conflict("a credential with serial '\(credential.serial)' is already recorded")
        }
        for use in tokenUses {
            // A key whose record expired may be used again: the token it names is invalid by now anyway.
            try db.execute(
                sql: """
                    INSERT INTO token_uses (key, expires_at) VALUES (?, ?)
                    ON CONFLICT(key) DO UPDATE SET expires_at = excluded.expires_at WHERE token_uses.expires_at <= ?
                    """,
                arguments: [use.key, use.expiresAt, now])
            if db.changesCount == 0 {
                throw StoreError.conflict("token '\(use.key)' was already used")
            }
        }
        try credential.insertInventoryItem(db)
        try event.insert(db)
    }
}

/// Group commit for ``SQLiteStore/recordIssuance(_:event:)``.
///
/// With `synchronous=FULL` every commit waits for an fsync, which would cap
/// issuance at one credential per fsync. Instead, callers queue their
/// issuance; one of them, the *leader*, takes everything queued (up to
/// ``maximumBatch``), writes it in one transaction with a savepoint per item,
/// commits once, and only then resumes each caller with its own outcome. A
/// failing item (such as a duplicate serial) rolls back its savepoint and
/// fails only its caller; a failed commit fails every caller of that batch.
///
/// Leadership passes from caller to caller, so no background task exists and
/// nothing needs shutting down: when a leader has committed its batch it hands
/// the role to the oldest waiting caller (whose issuance is always first in
/// the queue), or retires when the queue is empty. While one batch commits,
/// the next one accumulates.
///
/// Sendable without `@unchecked`: the mutable state lives in a `Mutex`.
final class IssuanceBatcher: Sendable {
    /// Bounds the latency of the first caller in a batch and the size of one transaction.
    static let maximumBatch = 256

    private enum Signal: Sendable {
        /// Take the next batch and commit it.
        case lead
        /// The caller's issuance was committed (or failed) in someone else's batch.
        case finished(Result<Void, any Error>)
    }

    private struct Waiter: Sendable {
        let ticket: UInt64
        let issuance: PendingIssuance
        let continuation: CheckedContinuation<Signal, Never>
    }

    private struct State {
        var queue: [Waiter] = []
        /// True from the moment a caller is told to lead until a leader finds the queue empty.
        var leaderActive = false
        var nextTicket: UInt64 = 0
    }

    private let state = Mutex(State())
    private let writer: any DatabaseWriter

    init(writer: any DatabaseWriter) {
        self.writer = writer
    }

    /// Returns once `issuance` is committed; throws its own failure otherwise.
    ///
    /// Not cancellable on purpose: once queued, the issuance is committed or
    /// fails on its merits, so the caller always learns which.
    func record(_ issuance: PendingIssuance) async throws {
        var ticket: UInt64 = 0
        let signal = await withCheckedContinuation { (continuation: CheckedContinuation<Signal, Never>) in
            let lead = state.withLock { state in
                state.nextTicket += 1
                ticket = state.nextTicket
                state.queue.append(Waiter(ticket: ticket, issuance: issuance, continuation: continuation))
                if state.leaderActive { return false }
                state.leaderActive = true
                return true
            }
            if lead { continuation.resume(returning: .lead) }
        }
        switch signal {
        case .finished(let outcome):
            try outcome.get()
        case .lead:
            try await leadOneBatch(ownTicket: ticket).get()
        }
    }

    /// Commits the queued issuances (the leader's own first), hands leadership
    /// on, resumes the other callers, and returns the leader's own outcome.
    private func leadOneBatch(ownTicket: UInt64) async -> Result<Void, any Error> {
        let batch = state.withLock { state in
            let count = min(state.queue.count, Self.maximumBatch)
            let batch = Array(state.queue.prefix(count))
            state.queue.removeFirst(count)
            return batch
        }
        precondition(batch.first?.ticket == ownTicket, "a batch leader's issuance must head the queue")

        let outcomes = await commit(batch.map(\.issuance))

        // Hand over before resuming anyone, so the next batch starts committing
        // while this one's callers wake up.
        let nextLeader = state.withLock { state -> Waiter? in
            guard let next = state.queue.first else {
                state.leaderActive = false
                return nil
            }
            return next
        }
        nextLeader?.continuation.resume(returning: .lead)

        var own: Result<Void, any Error> = .success(())
        for (waiter, outcome) in zip(batch, outcomes) {
            if waiter.ticket == ownTicket {
                own = outcome
            } else {
                waiter.continuation.resume(returning: .finished(outcome))
            }
        }
        return own
    }

    /// Writes `items` in one transaction and reports each item's outcome after the commit.
    ///
    /// Uses GRDB's callback API rather than `async write` so that cancelling
    /// the leader's task cannot abort a transaction that carries other callers' issuances.
    private func commit(_ items: [PendingIssuance]) async -> [Result<Void, any Error>] {
        await withCheckedContinuation { continuation in
            writer.asyncWrite(
                { db in
                    var outcomes: [Result<Void, any Error>] = []
                    outcomes.reserveCapacity(items.count)
                    for item in items {
                        do {
                            try db.inSavepoint {
                                try item.insert(db)
                                return .commit
                            }
                            outcomes.append(.success(()))
                        } catch {
                            // An error that ended the transaction itself fails the whole batch.
                            guard db.isInsideTransaction else { throw error }
                            outcomes.append(.failure(error))
                        }
                    }
                    // Issued credentials joined the inventory: its findings are out of date.
                    if outcomes.contains(where: { if case .success = $0 { true } else { false } }) {
                        try SQLiteStore.markFindingsStale(db)
                    }
                    return outcomes
                },
                completion: { _, result in
                    switch result {
                    case .success(let outcomes):
                        continuation.resume(returning: outcomes)
                    case .failure(let error):
                        continuation.resume(returning: Array(repeating: .failure(error), count: items.count))
                    }
                })
        }
    }
}
