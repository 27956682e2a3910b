-- Schema v1 of history.db (SQLCipher). Applied in one transaction; PRAGMA user_version is set by the code.

-- One row per lookup kept in the history (not kept: "não registrar", and failures that were not billed).
-- AUTOINCREMENT: ids are never reused after a purge, so audit lines and snapshots never point at the wrong row.
CREATE TABLE lookups (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    at            TEXT    NOT NULL,               -- RFC 3339 UTC, fixed width (sorts as text)
    profile_id    TEXT    NOT NULL,
    profile_name  TEXT    NOT NULL,
    environment   TEXT    NOT NULL,
    api           TEXT,                           -- ApiKind (camelCase), absent when no call was made
    view          TEXT,                           -- CnpjView for CNPJ lookups
    kind          TEXT    NOT NULL,               -- cpf | cnpj
    number        TEXT    NOT NULL,               -- canonical: 11 digits or 14 upper-case characters
    name          TEXT,                           -- display name (person, or company legal name)
    name_norm     TEXT,                           -- name without accents, lower case, single spaces
    status_json   TEXT,                           -- balcao_core::record::Status
    outcome       TEXT    NOT NULL,               -- found | partial | notFound | failed
    error_code    TEXT,
    error_message TEXT,
    record_json   TEXT,                           -- balcao_core::record::Record
    raw           TEXT,                           -- response body as received
    consulted_at  TEXT,
    partial       INTEGER NOT NULL DEFAULT 0,
    http_status   INTEGER,
    latency_ms    INTEGER,
    activity_id   TEXT,
    billable      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX lookups_number ON lookups (number, id);
CREATE INDEX lookups_name ON lookups (name_norm, id) WHERE name_norm IS NOT NULL;
CREATE INDEX lookups_at ON lookups (at);

-- The audit trail: append-only, never purged with the history. Numbers are stored masked.
CREATE TABLE audit (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    at                 TEXT    NOT NULL,
    event              TEXT    NOT NULL,          -- lookup | export | purge
    clerk_cpf          TEXT,
    os_user            TEXT    NOT NULL,
    profile_id         TEXT,
    profile_name       TEXT,
    environment        TEXT,
    kind               TEXT,
    number_masked      TEXT,
    purpose            TEXT,
    authorization_code TEXT,
    outcome            TEXT,
    error_code         TEXT,
    api                TEXT,
    http_status        INTEGER,
    activity_id        TEXT,
    billable           INTEGER NOT NULL DEFAULT 0,
    recorded           INTEGER NOT NULL DEFAULT 0,
    history_id         INTEGER,
    detail             TEXT
);
CREATE INDEX audit_at ON audit (at);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only');
END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only');
END;

-- Billable calls per profile, API and local day (kept when the history is purged).
CREATE TABLE quota (
    profile_id TEXT    NOT NULL,
    api        TEXT    NOT NULL,
    day        TEXT    NOT NULL,                  -- AAAA-MM-DD, local day
    count      INTEGER NOT NULL,
    PRIMARY KEY (profile_id, api, day)
) WITHOUT ROWID;
CREATE INDEX quota_day ON quota (day);

-- Store settings (the retention policy), as JSON values.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
