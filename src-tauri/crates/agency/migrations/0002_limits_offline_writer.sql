-- Balcão agency store, schema 2: the daily limits IT sets on the server, the offline units counters report back, the
-- database login that wrote each line (a counter cannot write under another counter's name unseen), and the gateway
-- day checked against the server's clock.

-- Who wrote the line: the login role of the connection (session_user, also inside SECURITY DEFINER functions).
-- Lines of schema 1 get the login that runs this migration.
ALTER TABLE balcao.audit_line ADD COLUMN written_by text NOT NULL DEFAULT session_user;

-- A line is one line by its id only: a history restored from a backup (or an app and a balcao-cli sending the same
-- lines at once) repeats a counter's sequence numbers, and those lines must still be kept, never refused.
ALTER TABLE balcao.audit_line DROP CONSTRAINT audit_line_counter_id_seq_key;
CREATE INDEX audit_line_counter ON balcao.audit_line (counter_id, seq);

-- The gateway's day by the server's clock, in Brasília (a counter's own day may differ by its time zone, never by
-- more than a day).
CREATE FUNCTION balcao.server_day() RETURNS date
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$ SELECT (now() AT TIME ZONE 'America/Sao_Paulo')::date $$;

-- The agency's daily limit per credential and API, set by IT (the schema owner): it caps whatever a counter asks.
CREATE TABLE balcao.quota_limit (
    credential  text    NOT NULL,
    api         text    NOT NULL,
    daily_limit integer NOT NULL CHECK (daily_limit >= 0),
    PRIMARY KEY (credential, api)
);

-- Units a counter spent from its offline allowance while the store was unreachable, reported when it came back:
-- each once (by its id), then added to the day's use.
CREATE TABLE balcao.quota_offline (
    id          uuid        PRIMARY KEY,
    counter_id  text        NOT NULL,
    credential  text        NOT NULL,
    api         text        NOT NULL,
    gateway_day date        NOT NULL,
    written_by  text        NOT NULL DEFAULT session_user,
    received_at timestamptz NOT NULL DEFAULT now()
);

-- The limit is the smaller of the counter's (from the managed policy) and the server's, when IT set one.
CREATE OR REPLACE FUNCTION balcao.reserve_quota(p_credential text, p_api text, p_gateway_day date, p_limit integer)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_limit integer := p_limit;
    v_server integer;
BEGIN
    -- A PC whose clock is off would count on another day than the one the gateway bills.
    IF p_gateway_day NOT BETWEEN balcao.server_day() - 1 AND balcao.server_day() + 1 THEN
        RAISE EXCEPTION 'gateway day % is not today', p_gateway_day USING ERRCODE = '22008';
    END IF;
    SELECT daily_limit INTO v_server FROM balcao.quota_limit WHERE credential = p_credential AND api = p_api;
    IF v_server IS NOT NULL AND (v_limit IS NULL OR v_server < v_limit) THEN
        v_limit := v_server;
    END IF;
    IF v_limit IS NULL OR v_limit <= 0 THEN
        RETURN false;
    END IF;
    INSERT INTO balcao.quota_use AS q (credential, api, gateway_day, used)
    VALUES (p_credential, p_api, p_gateway_day, 1)
    ON CONFLICT (credential, api, gateway_day) DO UPDATE SET used = q.used + 1 WHERE q.used < v_limit;
    RETURN FOUND;
END
$$;

-- One offline unit reported back: counted once whatever the retries (the unit was already spent, so no limit).
CREATE FUNCTION balcao.record_offline_use(
    p_id uuid, p_counter_id text, p_credential text, p_api text, p_gateway_day date
) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    -- Units are reported after an outage (days later, at most two months), never for a day still to come.
    IF p_gateway_day NOT BETWEEN balcao.server_day() - 60 AND balcao.server_day() + 1 THEN
        RAISE EXCEPTION 'offline day % out of range', p_gateway_day USING ERRCODE = '22008';
    END IF;
    INSERT INTO balcao.quota_offline (id, counter_id, credential, api, gateway_day)
    VALUES (p_id, p_counter_id, p_credential, p_api, p_gateway_day)
    ON CONFLICT (id) DO NOTHING;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    INSERT INTO balcao.quota_use AS q (credential, api, gateway_day, used)
    VALUES (p_credential, p_api, p_gateway_day, 1)
    ON CONFLICT (credential, api, gateway_day) DO UPDATE SET used = q.used + 1;
    RETURN true;
END
$$;

REVOKE ALL ON balcao.quota_limit, balcao.quota_offline FROM PUBLIC;
REVOKE ALL ON FUNCTION balcao.record_offline_use(uuid, text, text, text, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION balcao.record_offline_use(uuid, text, text, text, date) TO balcao_counter;
GRANT SELECT ON balcao.quota_limit, balcao.quota_offline TO balcao_reader;
