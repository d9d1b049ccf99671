-- Readers record how far they have read, so 'scada-bridge prune' deletes only
-- events every registered reader has passed. The read-only role cannot write a
-- table: it records its cursor through scada.record_reader_cursor() below.
CREATE TABLE scada.reader_cursor (
    reader       text PRIMARY KEY CHECK (length(btrim(reader)) BETWEEN 1 AND 200),
    cursor_tx    xid8 NOT NULL,
    cursor_id    bigint NOT NULL CHECK (cursor_id >= 0),
    recorded_by  name NOT NULL DEFAULT session_user,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE scada.reader_cursor IS
    'Last (tx, id) each reader has durably taken; prune keeps every event after the smallest.';

CREATE FUNCTION scada.record_reader_cursor(p_reader text, p_tx xid8, p_id bigint)
RETURNS void
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO scada.reader_cursor (reader, cursor_tx, cursor_id, recorded_by, updated_at)
    VALUES (p_reader, p_tx, p_id, session_user, now())
    ON CONFLICT (reader) DO UPDATE
       SET cursor_tx = EXCLUDED.cursor_tx,
           cursor_id = EXCLUDED.cursor_id,
           recorded_by = EXCLUDED.recorded_by,
           updated_at = EXCLUDED.updated_at
$$;
REVOKE ALL ON FUNCTION scada.record_reader_cursor(text, xid8, bigint) FROM PUBLIC;

-- Who holds this database's transactions open, for the "held back by" report:
-- sessions of THIS database that hold a transaction id, with their state,
-- transaction start and the first 80 characters of their query, which
-- pg_stat_activity shows other roles only with pg_read_all_stats. Running with
-- its owner's rights, this hands the read-only role exactly that and nothing
-- more (no other database, no idle session, no client address). Prepared
-- transactions are in the public view pg_prepared_xacts.
CREATE FUNCTION scada.xact_sessions()
RETURNS TABLE (
    xid bigint, pid integer, usename name, application_name text,
    xact_start timestamptz, state text, query text
)
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT a.backend_xid::text::bigint, a.pid, a.usename, a.application_name,
           a.xact_start, a.state, left(a.query, 80)
      FROM pg_stat_activity a
     WHERE a.backend_xid IS NOT NULL
       AND a.datid = (SELECT oid FROM pg_database WHERE datname = current_database())
$$;
REVOKE ALL ON FUNCTION scada.xact_sessions() FROM PUBLIC;

-- The poller's start finds the condition failures still active (raised, not
-- cleared) per device: poller/sink.py _ACTIVE_SQL. This partial index holds
-- only condition raises, so that query walks it by device instead of scanning
-- every event; the NOT EXISTS probe for the clear uses equipment_failure_raise_uid_idx.
CREATE INDEX equipment_failure_condition_raise_idx
    ON scada.equipment_failure (device, id)
    INCLUDE (equipment_code, failure_code, event_uid)
    WHERE kind = 'raised' AND (payload ->> 'source') = 'condition';
