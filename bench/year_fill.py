"""Fill a throwaway Odoo database with a year of a large plant group (issue 22).

The fixed part (teams, categories, 1,000 equipment, 40 failure codes, 3 sources,
a maintenance manager with a session) goes through the ORM, as a person would
make it. The bulk (failures, corrective requests, sync-log lines, rejected rows)
is written in SQL: 2,000,000 ``create()`` calls take hours, and what is measured
afterwards is how the module *reads* a big table, not how it was filled. Every
column the ORM would set is set (company, create/write dates and users, stored
computes: state, duration, the request's open key), and :func:`check` reads the
result back through the ORM so a wrong column shows up as a wrong count.

The mix: failure codes and equipment drawn Pareto-like (``random() ^ k``: the
first code takes about a third of the failures, the first 20 % of codes about
60 %), started over the last 365 days, 80 % cleared within minutes
(exponential, mean 3 min), 19 % in a long tail of 1 to 12 hours, 1 % still
active. One corrective request per equipment, failure code and quarter in which
it failed (done, but the current quarter's still open), each failure linked to
its quarter's request. Sync-log lines: one per source every 5 minutes over the
year at the full size, scaled down with the failures (at least a day's).
"""

from __future__ import annotations

import time

#: A constant seed: two runs fill the same tables.
SEED = 0.22
#: The full size of issue 22: sync-log lines are a year's at this many failures.
FULL = 2_000_000

# Every failure drawn once into a temporary table, so the requests can be made
# from it before the failures are written with their request (an UPDATE of 2M
# rows afterwards rewrote every row and index: 10 minutes).
_DRAW_SQL = """
CREATE TEMP TABLE bench_drawn AS
WITH drawn AS (
    SELECT n,
           floor(%(equipment)s * power(random(), 2))::int AS eq_idx,
           floor(%(codes)s * power(random(), 3))::int AS code_idx,
           random() AS kind_draw,
           random() AS len_draw,
           %(now)s::timestamp - random() * interval '365 days' AS started_at
      FROM generate_series(1, %(count)s) AS n
)
SELECT d.n, e.id AS equipment_id, c.id AS failure_code_id, d.started_at,
       date_trunc('quarter', d.started_at) AS quarter,
       CASE WHEN d.kind_draw < 0.01 THEN NULL
            WHEN d.kind_draw < 0.81 THEN -ln(1 - d.len_draw) * 180
            ELSE 3600 * (1 + 11 * d.len_draw)
       END AS seconds
  FROM drawn d
  JOIN bench_equipment e ON e.idx = d.eq_idx
  JOIN bench_code c ON c.idx = d.code_idx;
ANALYZE bench_drawn;
"""

# One request per equipment, code and quarter it failed in; the current quarter's open.
_REQUESTS_SQL = """
INSERT INTO maintenance_request (
    name, company_id, equipment_id, category_id, maintenance_team_id, user_id, stage_id,
    kanban_state, maintenance_type, priority, request_date, schedule_date, close_date,
    scada_request, scada_failure_code_id, scada_open_key, archive, create_uid, write_uid,
    create_date, write_date)
SELECT 'SCADA: ' || c.code || ' on ' || e.scada_code,
       %(company)s, r.equipment_id, e.category_id, e.maintenance_team_id,
       e.technician_user_id,
       CASE WHEN r.quarter = date_trunc('quarter', %(now)s::timestamp) THEN %(stage_new)s
            ELSE %(stage_done)s END,
       'normal', 'corrective', '1', r.first_at::date, r.first_at,
       CASE WHEN r.quarter = date_trunc('quarter', %(now)s::timestamp) THEN NULL
            ELSE r.last_at::date END,
       true, r.failure_code_id,
       CASE WHEN r.quarter = date_trunc('quarter', %(now)s::timestamp)
            THEN r.equipment_id || '-' || r.failure_code_id END,
       false, 1, 1, r.first_at, r.last_at
  FROM (SELECT equipment_id, failure_code_id, quarter,
               min(started_at) AS first_at, max(started_at) AS last_at
          FROM bench_drawn
         GROUP BY equipment_id, failure_code_id, quarter) r
  JOIN bench_equipment e ON e.id = r.equipment_id
  JOIN bench_code c ON c.id = r.failure_code_id;
ANALYZE maintenance_request;
"""

_FAILURES_SQL = """
INSERT INTO scada_failure_report (
    event_uid, clear_uid, equipment_code, equipment_id, failure_code, failure_code_id,
    maintenance_request_id, severity, description, started_at, cleared_at, duration, state,
    origin, source_id, device, company_id, create_uid, write_uid, create_date, write_date,
    payload)
SELECT md5('raise' || t.n || %(tag)s)::uuid::text,
       CASE WHEN t.seconds IS NULL THEN NULL ELSE md5('clear' || t.n || %(tag)s)::uuid::text END,
       e.scada_code, e.id, c.code, c.id, m.id,
       c.severity, 'Simulated failure ' || c.code,
       t.started_at,
       -- LEAST ignores NULL: an active failure (no seconds) must stay without an end.
       CASE WHEN t.seconds IS NOT NULL
            THEN LEAST(t.started_at + t.seconds * interval '1 second', %(now)s::timestamp) END,
       CASE WHEN t.seconds IS NULL THEN 0
            ELSE round((LEAST(t.seconds, EXTRACT(EPOCH FROM %(now)s::timestamp - t.started_at))
                        / 3600.0)::numeric, 2) END,
       CASE WHEN t.seconds IS NULL THEN 'active' ELSE 'cleared' END,
       'pull', s.id, 'plc-' || (e.idx %% 50), %(company)s, 1, 1, t.started_at, t.started_at,
       jsonb_build_object('register', 40001 + t.n %% 16, 'value', t.n %% 7)
  FROM bench_drawn t
  JOIN bench_equipment e ON e.id = t.equipment_id
  JOIN bench_code c ON c.id = t.failure_code_id
  JOIN bench_source s ON s.idx = e.idx %% 3
  JOIN maintenance_request m
    ON m.scada_request AND m.equipment_id = t.equipment_id
   AND m.scada_failure_code_id = t.failure_code_id
   AND m.request_date >= t.quarter::date
   AND m.request_date < (t.quarter + interval '3 months')::date
 ORDER BY t.started_at
"""

# One line per source every %(every)s minutes over the year, 1 in 500 with a rejected row.
_SYNC_LOG_SQL = """
INSERT INTO scada_sync_log (
    source_id, company_id, started_at, duration, trigger, state, events_read,
    created_count, cleared_count, pending_count, duplicate_count, rejected_count,
    batch_count, retry_count, cursor_start, cursor_end, create_uid, write_uid,
    create_date, write_date)
SELECT s.id, %(company)s, at, 0.05 + random() * 0.2, 'cron', 'done',
       n, n / 2, n / 2 - n / 10, 0, 0, (k %% 500 = 0)::int, 1, 0,
       '0:0', '0:0', 1, 1, at, at
  FROM bench_source s,
       generate_series(0, %(lines)s - 1) AS k,
       LATERAL (SELECT %(now)s::timestamp - k * %(every)s * interval '1 minute' AS at,
                       (k %% 13) AS n) x
"""

_REJECTED_SQL = """
INSERT INTO scada_rejected_row (log_id, source_id, company_id, row_id, event_uid, reason,
                                create_uid, write_uid, create_date, write_date)
SELECT id, source_id, company_id, id, md5('rejected' || id)::uuid::text,
       'severity ''urgent'' is not one of low, medium, high, critical', 1, 1,
       started_at, started_at
  FROM scada_sync_log WHERE rejected_count > 0
"""


def _orm_setup(env, equipment: int, codes: int, scada_uri: str) -> dict:
    """Teams, categories, equipment, codes, sources and the measuring user, by the ORM."""
    company = env.company
    teams = env["maintenance.team"].create([{"name": f"Team {n + 1}"} for n in range(5)])
    technicians = env["res.users"].create(
        [{"name": f"Technician {n + 1}", "login": f"tech{n + 1}"} for n in range(10)]
    )
    categories = env["maintenance.equipment.category"].create(
        [{"name": f"Category {n + 1}", "technician_user_id": technicians[n].id} for n in range(10)]
    )
    env["maintenance.equipment"].create(
        [
            {
                "name": f"Machine {n:04d}",
                "scada_code": f"eq{n:04d}",
                "category_id": categories[n % 10].id,
                "maintenance_team_id": teams[n % 5].id,
                "technician_user_id": technicians[n % 10].id,
            }
            for n in range(equipment)
        ]
    )
    severities = ("critical", "high", "medium", "low")
    env["scada.failure.code"].create(
        [
            {
                "code": f"CODE_{n:02d}",
                "name": f"Failure cause {n:02d}",
                "severity": severities[n % 4],
                "request_policy": "always",
            }
            for n in range(codes)
        ]
    )
    env["scada.source"].create(
        [{"name": f"Site {n + 1}", "connection_uri": scada_uri} for n in range(3)]
    )
    groups = [
        env.ref("maintenance.group_equipment_manager").id,
        env.ref("scada_failure_report.group_scada_manager").id,
        env.ref("base.group_user").id,
    ]
    env["res.users"].create(
        {
            "name": "Maintenance manager",
            "login": "manager",
            "password": "manager-bench-password",
            "groups_id": [(6, 0, groups)],
            "tz": "Asia/Jakarta",
        }
    )
    return {"company": company.id}


def _lookup_tables(cr) -> None:
    """Index-to-record maps the bulk SQL joins on (temporary, dropped with the session)."""
    cr.execute(
        """
        CREATE TEMP TABLE bench_equipment AS
            SELECT row_number() OVER (ORDER BY id) - 1 AS idx, id, scada_code,
                   category_id, maintenance_team_id, technician_user_id
              FROM maintenance_equipment WHERE scada_code LIKE 'eq%%';
        CREATE TEMP TABLE bench_code AS
            SELECT row_number() OVER (ORDER BY code) - 1 AS idx, id, code, severity
              FROM scada_failure_code WHERE code LIKE 'CODE_%%';
        CREATE TEMP TABLE bench_source AS
            SELECT row_number() OVER (ORDER BY id) - 1 AS idx, id FROM scada_source;
        """
    )


def fill(
    env,
    *,
    failures: int,
    equipment: int = 1000,
    codes: int = 40,
    scada_uri: str,
    log_every_min: int = 5,
    now=None,
) -> dict[str, float]:
    """Fill the database; returns seconds per step. Commits."""
    cr = env.cr
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    ids = _orm_setup(env, equipment, codes, scada_uri)
    env.flush_all()
    timings["orm setup"] = time.perf_counter() - t0
    cr.execute("SELECT setseed(%s)", [SEED])
    _lookup_tables(cr)
    cr.execute("SELECT id FROM maintenance_stage WHERE done ORDER BY sequence, id LIMIT 1")
    stage_done = cr.fetchone()[0]
    cr.execute(
        "SELECT id FROM maintenance_stage WHERE NOT COALESCE(done, false) "
        "ORDER BY sequence, id LIMIT 1"
    )
    stage_new = cr.fetchone()[0]
    cr.execute("SELECT now() AT TIME ZONE 'UTC'")
    now = now or cr.fetchone()[0]
    params = {
        "now": now,
        "company": ids["company"],
        "equipment": equipment,
        "codes": codes,
        "count": failures,
        "tag": "year22",
        "stage_done": stage_done,
        "stage_new": stage_new,
        "lines": max(
            24 * 60 // log_every_min, 365 * 24 * 60 // log_every_min * min(failures, FULL) // FULL
        ),
        "every": log_every_min,
    }
    # Foreign keys are checked once by check() through the ORM, not per row by
    # triggers: six FK triggers per failure made the 2M-row INSERT take 15 min.
    cr.execute("SET LOCAL session_replication_role = replica")
    for name, statement in (
        ("draw", _DRAW_SQL),
        ("requests", _REQUESTS_SQL),
        ("failures", _FAILURES_SQL),
        ("sync log", _SYNC_LOG_SQL),
        ("rejected rows", _REJECTED_SQL),
    ):
        t0 = time.perf_counter()
        cr.execute(statement, params)
        timings[name] = time.perf_counter() - t0
    cr.execute("SET LOCAL session_replication_role = origin")
    t0 = time.perf_counter()
    cr.execute("ANALYZE scada_failure_report; ANALYZE maintenance_request; ANALYZE scada_sync_log")
    timings["analyze"] = time.perf_counter() - t0
    cr.commit()
    env.invalidate_all()
    return timings


def check(env, failures: int) -> dict[str, int]:
    """The filled tables read back through the ORM: counts a wrong column would break."""
    Report = env["scada.failure.report"]
    counts = {
        "failures": Report.search_count([]),
        "active": Report.search_count([("state", "=", "active")]),
        "active without end": Report.search_count(
            [("state", "=", "active"), ("cleared_at", "=", False), ("duration", "=", 0)]
        ),
        "with equipment": Report.search_count([("equipment_id", "!=", False)]),
        "with request": Report.search_count([("maintenance_request_id", "!=", False)]),
        "requests": env["maintenance.request"].search_count([("scada_request", "=", True)]),
        "open requests": env["maintenance.request"].search_count(
            [("scada_request", "=", True), ("stage_id.done", "=", False)]
        ),
        "sync log lines": env["scada.sync.log"].search_count([]),
        "rejected rows": env["scada.rejected.row"].search_count([]),
    }
    if counts["failures"] != failures or counts["with equipment"] != failures:
        raise RuntimeError(f"fill wrote {counts}, expected {failures} failures with equipment")
    if counts["with request"] != failures:
        raise RuntimeError(f"{failures - counts['with request']} failure(s) have no request")
    if counts["active without end"] != counts["active"]:
        raise RuntimeError(
            f"{counts['active']} active failure(s), only "
            f"{counts['active without end']} without an end and a duration"
        )
    active_share = counts["active"] / failures
    if failures >= 10000 and not 0.005 < active_share < 0.02:
        raise RuntimeError(f"{active_share:.3%} of failures active, expected about 1 %")
    return counts
