-- Schema v5 of history.db: the outbox of the agency store (issue 18). Every audit line of a real profile is also
-- queued here, in the same transaction as the line itself, until the agency's PostgreSQL has it; units of quota
-- spent from the offline allowance are queued too, to be added to the agency's count when it is back.
CREATE TABLE agency_outbox (
    -- The counter's own order of its lines (AUTOINCREMENT: never reused, also after sent lines are removed).
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    -- Its own id (a UUID): the store keeps a line sent twice once.
    id      TEXT    NOT NULL UNIQUE,
    kind    TEXT    NOT NULL CHECK (kind IN ('audit', 'quota')),
    at      TEXT    NOT NULL,
    -- The line as the store keeps it (the number only as the agency's keyed hash and the masked form), or the
    -- quota key (credential, API, gateway day).
    payload TEXT    NOT NULL,
    -- When the store confirmed it (quota units only: sent audit lines are removed).
    sent_at TEXT
);
CREATE INDEX agency_outbox_waiting ON agency_outbox (seq) WHERE sent_at IS NULL;
CREATE INDEX agency_outbox_offline ON agency_outbox (kind, at);

-- Lines the store refused or that could not be read back, set aside so that the rest keep flowing (the local audit
-- trail keeps them all the same).
CREATE TABLE agency_outbox_rejected (
    seq         INTEGER PRIMARY KEY,
    id          TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    at          TEXT    NOT NULL,
    payload     TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    rejected_at TEXT    NOT NULL
);

-- This history file's counter id in the agency store: made once, so a reinstalled PC (a new file) is a new counter.
CREATE TABLE agency_counter (
    only       INTEGER PRIMARY KEY CHECK (only = 1),
    counter_id TEXT    NOT NULL
);
