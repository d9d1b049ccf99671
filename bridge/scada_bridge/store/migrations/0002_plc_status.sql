-- One row per PLC, kept current by the poller; read by Odoo and 'scada-bridge doctor'.
CREATE TABLE scada.plc_status (
    device                text PRIMARY KEY,
    host                  text,
    port                  integer,
    state                 text NOT NULL DEFAULT 'unknown',
    state_since           timestamptz NOT NULL DEFAULT now(),
    last_poll_at          timestamptz,
    last_success_at       timestamptz,
    last_error            text,
    consecutive_failures  integer NOT NULL DEFAULT 0,
    updated_at            timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE scada.plc_status IS
    'Per-PLC poller status: state is ok, unreachable, error or unknown.';
