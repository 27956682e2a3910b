-- Schema v6 of history.db (#19, «outras bases»): the answers of the extra bases an agency declares, each asked after
-- a CPF/CNPJ lookup and kept with it: inside the same SQLCipher file, removed with their lookup (retention, purges),
-- never kept when the lookup was not ("não registrar"). Their calls' audit lines go to the audit table like any other.
CREATE TABLE base_answers (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    lookup_id    INTEGER NOT NULL,               -- lookups.id of the lookup it was asked after
    at           TEXT    NOT NULL,               -- RFC 3339 UTC
    base_id      TEXT    NOT NULL,
    base_name    TEXT    NOT NULL,
    found        INTEGER NOT NULL,               -- 0: the base's «nada consta»
    answer_json  TEXT    NOT NULL,               -- balcao_core::extra_base::BaseAnswer (fields, meta, raw body)
    billable     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX base_answers_lookup ON base_answers (lookup_id, id);
CREATE TRIGGER base_answers_follow_lookups AFTER DELETE ON lookups
BEGIN
    DELETE FROM base_answers WHERE lookup_id = old.id;
END;
