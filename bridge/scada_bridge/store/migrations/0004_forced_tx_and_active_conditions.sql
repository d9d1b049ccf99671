-- tx is the database's, never the writer's: a row sent with a low tx was never
-- read nor counted in the backlog, a huge one halted every reader (cursor_ahead).
-- The trigger stamps the inserting (or updating) transaction whatever the row
-- says. An UPDATE is stamped too, so a row an operator repairs in place (a code
-- shortened after a rejection) is read again, after every reader's cursor.
-- ENABLE ALWAYS: a logical replication subscriber stamps its own transactions,
-- which are the ones its readers' snapshots know.
CREATE FUNCTION scada.equipment_failure_stamp_tx()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    NEW.tx := pg_current_xact_id();
    RETURN NEW;
END
$$;

CREATE TRIGGER equipment_failure_stamp_tx
    BEFORE INSERT OR UPDATE ON scada.equipment_failure
    FOR EACH ROW EXECUTE FUNCTION scada.equipment_failure_stamp_tx();
ALTER TABLE scada.equipment_failure ENABLE ALWAYS TRIGGER equipment_failure_stamp_tx;

COMMENT ON COLUMN scada.equipment_failure.tx IS
    'Writer transaction, stamped by trigger equipment_failure_stamp_tx whatever the writer '
    'sends; readers only take rows with tx < pg_snapshot_xmin(pg_current_snapshot()).';

-- The condition failures still active (raised, never cleared), one row per raise:
-- the poller's start reads this small table (poller/sink.py _ACTIVE_SQL) instead of
-- an anti-join over the whole history, which grew with it (1.3 s at 1.9 million
-- events). Kept by the trigger below; nobody writes it directly.
CREATE TABLE scada.active_condition (
    raise_uid       uuid PRIMARY KEY,
    raise_id        bigint NOT NULL,
    device          text,
    equipment_code  text NOT NULL,
    failure_code    text
);
CREATE INDEX active_condition_device_idx ON scada.active_condition (device, raise_id);

COMMENT ON TABLE scada.active_condition IS
    'Condition raises not cleared yet, kept by trigger equipment_failure_active; read at poller start.';

-- Statement level with transition tables: one INSERT and one DELETE per batch of
-- events, not per row, and only for rows really inserted (ON CONFLICT DO NOTHING
-- skips a replayed raise, which must not come back as active). SECURITY DEFINER:
-- the writer role may not write this table itself.
CREATE FUNCTION scada.equipment_failure_active()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO scada.active_condition (raise_uid, raise_id, device, equipment_code, failure_code)
    SELECT n.event_uid, n.id, n.device, n.equipment_code, n.failure_code
      FROM new_rows n
     WHERE n.kind = 'raised' AND (n.payload ->> 'source') = 'condition'
       AND NOT EXISTS (SELECT 1 FROM scada.equipment_failure c
                        WHERE c.raise_uid = n.event_uid AND c.kind = 'cleared')
    ON CONFLICT (raise_uid) DO NOTHING;
    DELETE FROM scada.active_condition a
     USING new_rows n
     WHERE n.kind = 'cleared' AND a.raise_uid = n.raise_uid;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION scada.equipment_failure_active() FROM PUBLIC;

CREATE TRIGGER equipment_failure_active
    AFTER INSERT ON scada.equipment_failure
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION scada.equipment_failure_active();
ALTER TABLE scada.equipment_failure ENABLE ALWAYS TRIGGER equipment_failure_active;

-- A raise deleted (prune only deletes a raise with its clear; an operator may
-- delete one by hand) is no longer active.
CREATE FUNCTION scada.equipment_failure_gone()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM scada.active_condition a USING old_rows o WHERE a.raise_uid = o.event_uid;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION scada.equipment_failure_gone() FROM PUBLIC;

CREATE TRIGGER equipment_failure_gone
    AFTER DELETE ON scada.equipment_failure
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION scada.equipment_failure_gone();

-- What the history says today: the same rule the poller's start used to compute.
INSERT INTO scada.active_condition (raise_uid, raise_id, device, equipment_code, failure_code)
SELECT r.event_uid, r.id, r.device, r.equipment_code, r.failure_code
  FROM scada.equipment_failure r
 WHERE r.kind = 'raised' AND (r.payload ->> 'source') = 'condition'
   AND NOT EXISTS (SELECT 1 FROM scada.equipment_failure c
                    WHERE c.raise_uid = r.event_uid AND c.kind = 'cleared')
ON CONFLICT (raise_uid) DO NOTHING;

-- The poller's start needs no other index now; this one cost every insert.
DROP INDEX scada.equipment_failure_condition_raise_idx;

-- Roles that may append events (the writer role) read the active conditions at
-- start; readers may read the table like every other one of the schema.
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT DISTINCT a.grantee::regrole::text AS role, a.privilege_type
          FROM pg_class c, aclexplode(c.relacl) a
         WHERE c.oid = 'scada.equipment_failure'::regclass
           AND a.grantee <> 0 AND a.grantee <> c.relowner
           AND a.privilege_type IN ('INSERT', 'SELECT')
    LOOP
        EXECUTE format('GRANT SELECT ON scada.active_condition TO %s', r.role);
    END LOOP;
END
$$;
