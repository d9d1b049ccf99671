"""The SCADA database: connection, schema and migrations, event insert, the no-skip
reader, the source check, and both reads and writes of ``scada.plc_status``.

Everything that speaks SQL to schema ``scada`` lives here, so one table's SQL is in
one module. Imports only :mod:`scada_bridge.events` and :mod:`scada_bridge.errors`
(and psycopg2); never ``plc``, ``poller``, ``doctor``, ``simulator`` or ``cli``.
"""
