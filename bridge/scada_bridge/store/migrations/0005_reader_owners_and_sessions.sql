-- A reader's row belongs to the role that registered it: the read-only role could
-- move any reader's cursor through record_reader_cursor (SECURITY DEFINER), push
-- Odoo's to the end, and prune then deleted events Odoo had not stored. Only the
-- owner moves a cursor; resetting one (DELETE, or UPDATE ... SET owner) is for the
-- schema owner or a DBA, who write the table directly.
ALTER TABLE scada.reader_cursor ADD COLUMN owner name;
UPDATE scada.reader_cursor SET owner = recorded_by;
ALTER TABLE scada.reader_cursor
    ALTER COLUMN owner SET NOT NULL,
    ALTER COLUMN owner SET DEFAULT session_user;
CREATE INDEX reader_cursor_owner_idx ON scada.reader_cursor (owner);

COMMENT ON COLUMN scada.reader_cursor.owner IS
    'Role that registered the reader: the only one whose record_reader_cursor may move it.';

-- SQLSTATE SB001: scada_bridge.errors.ReaderNotOwned. DETAIL carries the owner.
CREATE OR REPLACE FUNCTION scada.record_reader_cursor(p_reader text, p_tx xid8, p_id bigint)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_owner name;
BEGIN
    INSERT INTO scada.reader_cursor
           (reader, cursor_tx, cursor_id, recorded_by, owner, updated_at)
    VALUES (p_reader, p_tx, p_id, session_user, session_user, now())
    ON CONFLICT (reader) DO UPDATE
       SET cursor_tx = EXCLUDED.cursor_tx,
           cursor_id = EXCLUDED.cursor_id,
           recorded_by = EXCLUDED.recorded_by,
           updated_at = EXCLUDED.updated_at
     WHERE scada.reader_cursor.owner = session_user;
    IF NOT FOUND THEN
        SELECT r.owner INTO v_owner FROM scada.reader_cursor r WHERE r.reader = p_reader;
        RAISE EXCEPTION USING
            ERRCODE = 'SB001',
            MESSAGE = format('reader %s belongs to role %s, not %s',
                             quote_literal(p_reader), quote_ident(v_owner),
                             quote_ident(session_user)),
            DETAIL = v_owner;
    END IF;
END
$$;

-- A reader known from the moment it exists: its row at position zero (tx 0, id 0)
-- unless it has one, so prune keeps every event until it records a cursor.
-- Idempotent for its owner; another role's reader of that name is refused (SB001).
CREATE FUNCTION scada.register_reader(p_reader text)
RETURNS TABLE (cursor_tx xid8, cursor_id bigint)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_owner name;
BEGIN
    INSERT INTO scada.reader_cursor
           (reader, cursor_tx, cursor_id, recorded_by, owner, updated_at)
    VALUES (p_reader, '0', 0, session_user, session_user, now())
    ON CONFLICT (reader) DO NOTHING;
    SELECT r.owner, r.cursor_tx, r.cursor_id INTO v_owner, cursor_tx, cursor_id
      FROM scada.reader_cursor r WHERE r.reader = p_reader;
    IF v_owner <> session_user THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SB001',
            MESSAGE = format('reader %s belongs to role %s, not %s',
                             quote_literal(p_reader), quote_ident(v_owner),
                             quote_ident(session_user)),
            DETAIL = v_owner;
    END IF;
    RETURN NEXT;
END
$$;
REVOKE ALL ON FUNCTION scada.register_reader(text) FROM PUBLIC;

-- The holders of the horizon without their query text: the first 80 characters of
-- any open transaction's statement reached every reader (and Odoo's log), so an
-- ALTER ROLE ... PASSWORD left open leaked. pid, user, application, transaction
-- start and state identify the holder; the schema owner can look up the rest.
-- The result type changes, so the function is made anew under its old rights.
ALTER FUNCTION scada.xact_sessions() RENAME TO xact_sessions_0003;

CREATE FUNCTION scada.xact_sessions()
RETURNS TABLE (
    xid bigint, pid integer, usename name, application_name text,
    xact_start timestamptz, state text
)
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT a.backend_xid::text::bigint, a.pid, a.usename, a.application_name,
           a.xact_start, a.state
      FROM pg_stat_activity a
     WHERE a.backend_xid IS NOT NULL
       AND a.datid = (SELECT oid FROM pg_database WHERE datname = current_database())
$$;
REVOKE ALL ON FUNCTION scada.xact_sessions() FROM PUBLIC;

DO $$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT a.grantee::regrole::text AS role
          FROM pg_proc p, aclexplode(p.proacl) a
         WHERE p.oid = 'scada.xact_sessions_0003()'::regprocedure
           AND a.privilege_type = 'EXECUTE' AND a.grantee <> 0 AND a.grantee <> p.proowner
    LOOP
        EXECUTE format('GRANT EXECUTE ON FUNCTION scada.xact_sessions() TO %s', r.role);
    END LOOP;
    -- Readers that may record a cursor may register themselves.
    FOR r IN
        SELECT a.grantee::regrole::text AS role
          FROM pg_proc p, aclexplode(p.proacl) a
         WHERE p.oid = 'scada.record_reader_cursor(text, xid8, bigint)'::regprocedure
           AND a.privilege_type = 'EXECUTE' AND a.grantee <> 0 AND a.grantee <> p.proowner
    LOOP
        EXECUTE format('GRANT EXECUTE ON FUNCTION scada.register_reader(text) TO %s', r.role);
    END LOOP;
END
$$;

DROP FUNCTION scada.xact_sessions_0003();
