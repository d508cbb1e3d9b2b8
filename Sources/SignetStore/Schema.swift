import GRDB

/// The versioned schema of the SQLite store.
///
/// Migrations are append-only: a released migration is never edited, because
/// databases in the field already ran it. A later schema change is a new
/// `registerMigration("v2")` below the existing ones. GRDB records applied
/// migrations in `grdb_migrations`, so opening a database again is a no-op.
enum Schema {
    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: v1)
        }
        migrator.registerMigration("v2") { db in
            try db.execute(sql: v2)
        }
        migrator.registerMigration("v3") { db in
            try db.execute(sql: v3)
        }
        migrator.registerMigration("v4") { db in
            try db.execute(sql: v4)
        }
        return migrator
    }()

    /// Brings the database up to date, refusing one written by a newer Signet
    /// (its unknown migrations could mean data this version would misread).
    static func migrate(_ writer: any DatabaseWriter) throws {
        let superseded = try writer.read { db in try migrator.hasBeenSuperseded(db) }
        if superseded {
            throw StoreError.corrupt(
                "the database was created by a newer version of Signet (it has schema migrations this version "
                    + "does not know); upgrade Signet to open it")
        }
        try migrator.migrate(writer)
    }

    // Dates are INTEGER milliseconds since 1970 (see `StoredDate`); JSON columns
    // hold text produced by `StoredJSON`.
    static let v1 = """
        CREATE TABLE entries (
            id TEXT PRIMARY KEY NOT NULL,
            spiffe_id TEXT NOT NULL,
            parent_id TEXT,
            -- JSON array of "type:value", sorted, without duplicates.
            selectors TEXT NOT NULL,
            x509_ttl INTEGER NOT NULL,
            jwt_ttl INTEGER NOT NULL,
            dns_names TEXT NOT NULL,
            owner TEXT NOT NULL,
            purpose TEXT NOT NULL,
            environment TEXT,
            expires_at INTEGER,
            created_by TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            revision INTEGER NOT NULL
        );
        CREATE INDEX entries_spiffe_id ON entries(spiffe_id);
        CREATE INDEX entries_parent_id ON entries(parent_id);
        CREATE INDEX entries_owner ON entries(owner);
        -- One entry per SPIFFE ID, parent and selector set. A missing parent is
        -- compared as '' (no SPIFFE ID is empty) so that two parentless entries clash,
        -- which a plain UNIQUE over a NULL column would not detect.
        CREATE UNIQUE INDEX entries_identity ON entries(spiffe_id, ifnull(parent_id, ''), selectors);

        -- The selectors of each entry, one row each, for "entries with this selector" lookups.
        CREATE TABLE entry_selectors (
            entry_id TEXT NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
            selector TEXT NOT NULL,
            PRIMARY KEY (entry_id, selector)
        ) WITHOUT ROWID;
        CREATE INDEX entry_selectors_selector ON entry_selectors(selector, entry_id);

        -- The inventory of issued credentials. No foreign key to entries: a credential
        -- stays on record after its entry is deleted, until it expires and beyond.
        CREATE TABLE credentials (
            serial TEXT PRIMARY KEY NOT NULL,
            kind TEXT NOT NULL,
            spiffe_id TEXT NOT NULL,
            entry_id TEXT,
            public_key_fingerprint TEXT NOT NULL,
            not_before INTEGER NOT NULL,
            not_after INTEGER NOT NULL,
            issued_to TEXT NOT NULL,
            issued_at INTEGER NOT NULL,
            audience TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX credentials_spiffe_id ON credentials(spiffe_id, issued_at);
        CREATE INDEX credentials_not_after ON credentials(not_after);
        CREATE INDEX credentials_issued_at ON credentials(issued_at);

        -- The audit log. AUTOINCREMENT so a sequence number is never reused, even
        -- after the newest events are deleted: readers resume from the last one seen.
        CREATE TABLE events (
            sequence INTEGER PRIMARY KEY AUTOINCREMENT,
            time INTEGER NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            subject TEXT NOT NULL,
            outcome TEXT NOT NULL,
            reason TEXT,
            details TEXT NOT NULL
        );
        CREATE INDEX events_action ON events(action);

        CREATE TABLE meta (
            key TEXT PRIMARY KEY NOT NULL,
            value TEXT NOT NULL
        ) WITHOUT ROWID;
        """

    // v2: node agents. Join tokens keep only the SHA-256 of the secret; an agent
    // row is keyed by its SPIFFE ID, so re-attesting replaces it.
    static let v2 = """
        CREATE TABLE join_tokens (
            id TEXT PRIMARY KEY NOT NULL,
            secret_hash TEXT NOT NULL,
            spiffe_id TEXT,
            created_by TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            used_at INTEGER,
            used_by TEXT
        ) WITHOUT ROWID;
        CREATE INDEX join_tokens_expires_at ON join_tokens(expires_at);

        CREATE TABLE agents (
            id TEXT PRIMARY KEY NOT NULL,
            attestation_type TEXT NOT NULL,
            -- JSON array of "type:value", sorted.
            selectors TEXT NOT NULL,
            serial TEXT NOT NULL,
            svid_expires_at INTEGER NOT NULL,
            attested_at INTEGER NOT NULL,
            last_seen_at INTEGER NOT NULL,
            evicted INTEGER NOT NULL
        ) WITHOUT ROWID;
        """

    // v3: federation. Trust rules, OAuth clients and federation relationships are
    // configuration documents (JSON of the Core value) with their lookup keys as
    // columns. `token_uses` remembers consumed single-use tokens until they expire.
    static let v3 = """
        ALTER TABLE entries ADD COLUMN federates_with TEXT NOT NULL DEFAULT '[]';

        CREATE TABLE trust_rules (
            id TEXT PRIMARY KEY NOT NULL,
            name TEXT NOT NULL UNIQUE,
            issuer TEXT NOT NULL,
            document TEXT NOT NULL,
            revision INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX trust_rules_issuer ON trust_rules(issuer);

        CREATE TABLE oauth_clients (
            id TEXT PRIMARY KEY NOT NULL,
            document TEXT NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE federations (
            trust_domain TEXT PRIMARY KEY NOT NULL,
            document TEXT NOT NULL
        ) WITHOUT ROWID;

        -- Kept when a relationship is deleted only until the delete commits (same transaction).
        CREATE TABLE federated_bundles (
            trust_domain TEXT PRIMARY KEY NOT NULL,
            document TEXT NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE token_uses (
            key TEXT PRIMARY KEY NOT NULL,
            expires_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX token_uses_expires_at ON token_uses(expires_at);
        """

    // v4: the machine-identity inventory. Items are columns (no JSON) because a
    // full findings recomputation reads every row: list-valued facts use
    // `StoredList` separators. Each item has a sequence number (`seq`, the rowid):
    // new items append to the table, and locations and findings are keyed by it, so
    // they cluster by item and a recomputation reads and writes them in key order.
    // Findings are derived data, upserted by each recomputation (so a finding keeps
    // the time it was first detected) and deleted when no longer raised; their
    // titles and fixes repeat across items and are stored once in `finding_texts`.
    static let v4 = """
        CREATE TABLE inventory_items (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            preview TEXT,
            detector TEXT,
            name TEXT,
            owner TEXT,
            owner_source TEXT,
            purpose TEXT,
            environment TEXT,
            status TEXT NOT NULL,
            managed INTEGER NOT NULL,
            encrypted INTEGER NOT NULL,
            created_at INTEGER,
            expires_at INTEGER,
            last_used_at INTEGER,
            first_seen INTEGER NOT NULL,
            last_seen INTEGER NOT NULL,
            algorithm TEXT,
            key_size INTEGER,
            cert_subject TEXT,
            cert_issuer TEXT,
            cert_serial TEXT,
            cert_sans TEXT,
            cert_not_before INTEGER,
            cert_not_after INTEGER,
            cert_signature_algorithm TEXT,
            cert_self_signed INTEGER,
            cert_is_ca INTEGER,
            privileges TEXT NOT NULL,
            notes TEXT NOT NULL,
            attributes TEXT NOT NULL
        );
        CREATE INDEX inventory_owner_expires ON inventory_items(owner, expires_at);

        CREATE TABLE inventory_locations (
            item_seq INTEGER NOT NULL,
            type TEXT NOT NULL,
            target TEXT NOT NULL,
            -- 0 and '' stand for "none" so that the key columns are never NULL.
            line INTEGER NOT NULL,
            commit_id TEXT NOT NULL,
            col INTEGER NOT NULL,
            first_seen INTEGER NOT NULL,
            last_seen INTEGER NOT NULL,
            PRIMARY KEY (item_seq, type, target, line, commit_id)
        ) WITHOUT ROWID;

        -- Changes to an item that its columns do not keep: owner and status changes.
        CREATE TABLE inventory_history (
            item_id TEXT NOT NULL,
            at INTEGER NOT NULL,
            action TEXT NOT NULL,
            detail TEXT NOT NULL,
            actor TEXT NOT NULL
        );
        CREATE INDEX inventory_history_item ON inventory_history(item_id, at);

        CREATE TABLE teams (
            name TEXT PRIMARY KEY NOT NULL,
            document TEXT NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE ownership_rules (
            id TEXT PRIMARY KEY NOT NULL,
            document TEXT NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE finding_texts (
            id INTEGER PRIMARY KEY,
            text TEXT NOT NULL UNIQUE
        );

        CREATE TABLE findings (
            item_seq INTEGER NOT NULL,
            rule TEXT NOT NULL,
            severity INTEGER NOT NULL,
            weight INTEGER NOT NULL,
            owner TEXT,
            title INTEGER NOT NULL,
            evidence TEXT NOT NULL,
            fix INTEGER NOT NULL,
            first_detected INTEGER NOT NULL,
            computed_at INTEGER NOT NULL,
            PRIMARY KEY (item_seq, rule)
        ) WITHOUT ROWID;
        CREATE INDEX findings_owner ON findings(owner, severity);
        CREATE INDEX findings_severity ON findings(severity);
        """
}
