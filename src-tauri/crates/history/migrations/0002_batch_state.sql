-- Schema v2 of history.db: the state of saved (resumable) batches, inside the encrypted file instead of a plain
-- state file next to it. Purge and retention remove it with the history (issue 13).

-- One row per saved batch. `slot` names it: the app keeps one, the CLI one per output file.
CREATE TABLE batch_state (
    slot       TEXT PRIMARY KEY,
    header     TEXT NOT NULL,                     -- JSON: how the file was read, which profile (balcao-batch's header)
    started_at TEXT NOT NULL,                     -- RFC 3339 UTC, fixed width: retention removes batches started before its cutoff
    updated_at TEXT NOT NULL
) WITHOUT ROWID;

-- The answers a saved batch has so far: the last one given for each number.
CREATE TABLE batch_answers (
    slot   TEXT NOT NULL REFERENCES batch_state (slot) ON DELETE CASCADE,
    number TEXT NOT NULL,                         -- canonical: 11 digits or 14 upper-case characters
    answer TEXT NOT NULL,                         -- JSON: the number's kind and verdict (balcao-batch's)
    PRIMARY KEY (slot, number)
) WITHOUT ROWID;
