-- Schema v4 of history.db: search by any word or word start of the name (issue 16). An FTS5 index over
-- lookups.name_norm (the name without accents, lower case), inside the same SQLCipher file as everything else:
-- external content (the index holds terms and row ids, the text stays in lookups), kept in step by triggers, so
-- every path that writes or removes a lookup row updates it in the same transaction.
-- prefix: word starts of 1 to 10 characters have their own index (a query for one reads its list lazily, newest
-- first, instead of merging the lists of every word that starts with it).
CREATE VIRTUAL TABLE lookups_fts USING fts5 (
    name_norm,
    content = 'lookups',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '1 2 3 4 5 6 7 8 9 10'
);
-- A deleted row's terms are removed from the index pages themselves, not masked by a delete marker that would keep
-- the purged words in the file until the next merge.
INSERT INTO lookups_fts (lookups_fts, rank) VALUES ('secure-delete', 1);

CREATE TRIGGER lookups_fts_insert AFTER INSERT ON lookups
BEGIN
    INSERT INTO lookups_fts (rowid, name_norm) VALUES (new.id, new.name_norm);
END;
CREATE TRIGGER lookups_fts_delete AFTER DELETE ON lookups
BEGIN
    INSERT INTO lookups_fts (lookups_fts, rowid, name_norm) VALUES ('delete', old.id, old.name_norm);
END;
CREATE TRIGGER lookups_fts_update AFTER UPDATE OF id, name_norm ON lookups
BEGIN
    INSERT INTO lookups_fts (lookups_fts, rowid, name_norm) VALUES ('delete', old.id, old.name_norm);
    INSERT INTO lookups_fts (rowid, name_norm) VALUES (new.id, new.name_norm);
END;

-- The rows already in the file (an existing history gets its index on upgrade).
INSERT INTO lookups_fts (lookups_fts) VALUES ('rebuild');

-- The old name index served only the full-name prefix search.
DROP INDEX lookups_name;
