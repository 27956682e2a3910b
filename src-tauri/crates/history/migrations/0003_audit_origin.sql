-- Schema v3 of history.db: where each audit line came from (issue 23). 'app' (the window) or 'cli' (balcao-cli);
-- NULL on lines written before v3 (by the app or the CLI: not recorded then).
ALTER TABLE audit ADD COLUMN origin TEXT;
