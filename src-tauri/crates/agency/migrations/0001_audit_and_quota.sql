-- Balcão agency store, schema 1: append-only audit lines and the agency's quota per credential, API and gateway day.
-- Applied by `balcao-cli admin migrate-agency-store` as the schema owner, inside one transaction.
-- The group roles balcao_counter and balcao_reader are created by IT beforehand (docs/deploy/agency-store.md).

CREATE TABLE balcao.audit_line (
    id                 uuid        PRIMARY KEY,
    counter_id         text        NOT NULL,
    seq                bigint      NOT NULL,
    at                 timestamptz NOT NULL,
    clerk              text        NOT NULL,
    api                text        NOT NULL,
    purpose            text,
    authorization_code text,
    -- HMAC-SHA256 of the number's digits under the agency key (never the number itself).
    document_hash      bytea       NOT NULL CHECK (octet_length(document_hash) = 32),
    -- The masked form the local audit shows (***.428.201-**).
    document_masked    text        NOT NULL CHECK (document_masked LIKE '%*%'),
    outcome            text        NOT NULL,
    received_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (counter_id, seq)
);
CREATE INDEX audit_line_document ON balcao.audit_line (document_hash, at);

CREATE TABLE balcao.quota_use (
    credential  text    NOT NULL,
    api         text    NOT NULL,
    gateway_day date    NOT NULL,
    used        integer NOT NULL CHECK (used >= 0),
    PRIMARY KEY (credential, api, gateway_day)
);

-- The counter's only ways in: append one line (a retry with the same id is a no-op) and reserve one unit of quota.
CREATE FUNCTION balcao.append_audit_line(
    p_id uuid, p_counter_id text, p_seq bigint, p_at timestamptz, p_clerk text, p_api text, p_purpose text,
    p_authorization_code text, p_document_hash bytea, p_document_masked text, p_outcome text
) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO balcao.audit_line (id, counter_id, seq, at, clerk, api, purpose, authorization_code,
                                   document_hash, document_masked, outcome)
    VALUES (p_id, p_counter_id, p_seq, p_at, p_clerk, p_api, p_purpose, p_authorization_code,
            p_document_hash, p_document_masked, p_outcome)
    ON CONFLICT (id) DO NOTHING;
    RETURN FOUND;
END
$$;

-- One statement: a unit is granted only while the day's count is under the limit (no read-then-write race).
CREATE FUNCTION balcao.reserve_quota(p_credential text, p_api text, p_gateway_day date, p_limit integer)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF p_limit IS NULL OR p_limit <= 0 THEN
        RETURN false;
    END IF;
    INSERT INTO balcao.quota_use AS q (credential, api, gateway_day, used)
    VALUES (p_credential, p_api, p_gateway_day, 1)
    ON CONFLICT (credential, api, gateway_day) DO UPDATE SET used = q.used + 1 WHERE q.used < p_limit;
    RETURN FOUND;
END
$$;

REVOKE ALL ON SCHEMA balcao FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA balcao FROM PUBLIC;
REVOKE ALL ON FUNCTION balcao.append_audit_line(uuid, text, bigint, timestamptz, text, text, text, text, bytea, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION balcao.reserve_quota(text, text, date, integer) FROM PUBLIC;

GRANT USAGE ON SCHEMA balcao TO balcao_counter, balcao_reader;
GRANT SELECT ON balcao.schema_version TO balcao_counter, balcao_reader;
GRANT EXECUTE ON FUNCTION balcao.append_audit_line(uuid, text, bigint, timestamptz, text, text, text, text, bytea, text, text) TO balcao_counter;
GRANT EXECUTE ON FUNCTION balcao.reserve_quota(text, text, date, integer) TO balcao_counter;
GRANT SELECT ON balcao.audit_line, balcao.quota_use TO balcao_reader;
