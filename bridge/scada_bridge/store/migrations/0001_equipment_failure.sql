-- Failure events: immutable rows, appended by the poller (or any other writer).
-- kind and severity are not CHECK-constrained on purpose: rows from foreign
-- writers are validated by the reader, which reports a bad row instead of
-- letting one stop the whole pipeline.
CREATE TABLE scada.equipment_failure (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_uid       uuid NOT NULL UNIQUE,
    kind            text NOT NULL,
    raise_uid       uuid,
    equipment_code  text NOT NULL,
    failure_code    text,
    description     text,
    severity        text,
    occurred_at     timestamptz NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    device          text,
    tx              xid8 NOT NULL DEFAULT pg_current_xact_id(),
    payload         jsonb
);

-- The reader walks (tx, id); this index makes each batch an index range scan.
CREATE INDEX equipment_failure_tx_id_idx ON scada.equipment_failure (tx, id);
-- Rebuilding "which failures are still active" at poller start.
CREATE INDEX equipment_failure_raise_uid_idx ON scada.equipment_failure (raise_uid)
    WHERE raise_uid IS NOT NULL;

COMMENT ON TABLE scada.equipment_failure IS
    'Equipment failure events (raised / cleared), append-only. Contract: see scada_bridge docs.';
COMMENT ON COLUMN scada.equipment_failure.tx IS
    'Writer transaction; readers only take rows with tx < pg_snapshot_xmin(pg_current_snapshot()).';
