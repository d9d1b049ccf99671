# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""Whatever a foreign writer puts in the SCADA table is stored or rejected (issue 18).

Hypothesis writes rows as any program with INSERT on ``scada.equipment_failure``
could, within the column types only: times from year 1 to 9999 and
±infinity, texts of any length (NUL-free unicode), deep and huge jsonb,
unknown kinds and severities, raises and clears in any order, pulled by
sources of two companies. The real module pulls them with the maintenance
step on (requests and alerts for every severity) in a UTC+7 plant, and:

* the pull never raises and the source stays OK;
* every row is a failure, a clear, a waiting clear or a rejected row (or a
  second clear of a failure already cleared, counted as a duplicate);
* the lists a person opens (failures, rejected rows, requests) and the API
  endpoints that show those records answer without a 500.

Bounded (25 examples, no deadline) to stay within about two minutes.
"""

import json
import random
import string
import uuid

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from odoo.tests import tagged
from odoo.tools import mute_logger
from psycopg2 import sql

from .api_common import ScadaApiCase
from .common import add_scada_database

JAKARTA = "Asia/Jakarta"
ALNUM = string.ascii_letters + string.digits
#: Unicode a text column holds: no NUL, no lone surrogate.
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))


def _long_text(size_seed: tuple[int, int]) -> str:
    size, seed = size_seed
    # Incompressible (a btree entry holds 2,704 bytes after compression).
    return "".join(random.Random(seed).choices(ALNUM, k=size))


LONG_TEXT = st.tuples(st.integers(129, 9000), st.integers(0, 2**32)).map(_long_text)
ANY_TEXT = st.one_of(TEXT.map(lambda t: t[:60]), LONG_TEXT)
CODE = st.one_of(st.sampled_from(["silo101", "hopper7", "press3"]), ANY_TEXT)
TIME = st.one_of(
    st.datetimes().map(lambda d: d.isoformat() + "+00"),
    st.sampled_from(["9999-12-31 23:00:00+00", "0001-01-01 00:00:00+00", "infinity", "-infinity"]),
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63) | TEXT.map(lambda t: t[:40]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT.map(lambda t: t[:8]), inner),
    max_leaves=12,
)
PAYLOAD = st.one_of(
    st.none(),
    JSON.map(json.dumps),
    st.integers(90, 6000).map(lambda n: "[" * n + "]" * n),  # deep
    st.integers(1000, 20000).map(lambda n: json.dumps(list(range(n)))),  # huge
)


@st.composite
def rows(draw):
    """3 to 10 rows: raises and clears (of these raises or of none) in any order."""
    count = draw(st.integers(3, 10))
    uids = [str(uuid.uuid4()) for _ in range(count)]
    drawn = []
    for uid in uids:
        kind = draw(st.sampled_from(["raised", "raised", "cleared", "cleared", "exploded"]))
        raise_uid = None
        if kind == "cleared" or draw(st.booleans()) and kind != "raised":
            raise_uid = draw(st.sampled_from([*uids, str(uuid.uuid4())]))
        drawn.append(
            {
                "event_uid": uid,
                "kind": kind,
                "raise_uid": raise_uid,
                "equipment_code": draw(CODE),
                "failure_code": draw(st.none() | CODE),
                "description": draw(st.none() | ANY_TEXT),
                "severity": draw(
                    st.none() | st.sampled_from(["low", "medium", "high", "critical"]) | TEXT
                ),
                "occurred_at": draw(TIME),
                "device": draw(st.none() | ANY_TEXT),
                "payload": draw(PAYLOAD),
                "company": draw(st.integers(0, 1)),
            }
        )
    return drawn


@tagged("post_install", "-at_install")
class TestPoisonProperty(ScadaApiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        add_scada_database(cls)
        cls.env["ir.config_parameter"].sudo().set_param("scada_failure_report.plant_tz", JAKARTA)
        cls.companies = cls.env.company | cls.env["res.company"].create({"name": "Plant B"})
        cls.companies.write(
            {"scada_request_min_severity": "low", "scada_alert_min_severity": "low"}
        )
        cls.manager.company_ids = cls.companies
        cls.env["maintenance.equipment"].create(
            {"name": "Hopper 7", "scada_code": "hopper7", "company_id": cls.companies[1].id}
        )

    def write_rows(self, drawn: list[dict]) -> None:
        """INSERT as a foreign writer: the table's column types are the only rule."""
        columns = [name for name in drawn[0] if name != "company"]
        statement = sql.SQL("INSERT INTO scada.equipment_failure ({}) VALUES ({})").format(
            sql.SQL(", ").join(map(sql.Identifier, columns)),
            sql.SQL(", ").join(
                sql.SQL("%s::jsonb") if name == "payload" else sql.Placeholder() for name in columns
            ),
        )
        with self.scada.cursor() as cur:
            cur.execute("TRUNCATE scada.equipment_failure, scada.reader_cursor")
            for row in drawn:
                cur.execute(statement, [row[name] for name in columns])
        self.scada.commit()

    def pull(self, company) -> dict:
        source = self.env["scada.source"].create(
            {
                "name": f"Plant {uuid.uuid4().hex[:6]}",
                "connection_uri": self.scada_uri,
                "batch_size": 4,
                "company_id": company.id,
            }
        )
        result = source._pull()
        self.assertFalse(result["error"], result)
        self.assertEqual(source.state, "ok", source.last_error)
        counted = sum(result[k] for k in ("created", "cleared", "pending", "duplicate"))
        self.assertEqual(result["read"], counted + result["rejected"], result)
        return result

    @mute_logger(
        "odoo.sql_db",
        "odoo.addons.scada_failure_report.models.scada_pull_rows",
        "scada_bridge.store.reader",
    )
    @settings(
        max_examples=25,
        deadline=None,
        database=None,
        # No shrinking: an example costs two pulls and HTTP calls; the failing one is
        # printed as found (pytest's 300 s timeout would end a long shrink first).
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(drawn=rows())
    def test_every_row_is_stored_or_rejected_and_every_list_answers(self, drawn):
        self.write_rows(drawn)
        # The company of the first row pulls first; the other one then meets duplicates.
        first = self.companies[drawn[0]["company"]]
        for company in (first, self.companies - first):
            self.pull(company)

        self.assert_every_row_accounted_for(drawn)
        self.assert_lists_answer()

    def assert_every_row_accounted_for(self, drawn: list[dict]) -> None:
        self.env.flush_all()
        uids = [row["event_uid"] for row in drawn]
        cr = self.env.cr
        cr.execute(
            """
            SELECT event_uid FROM scada_failure_report WHERE event_uid = ANY(%(u)s)
             UNION SELECT clear_uid FROM scada_failure_report WHERE clear_uid = ANY(%(u)s)
             UNION SELECT event_uid FROM scada_pending_clear WHERE event_uid = ANY(%(u)s)
             UNION SELECT event_uid FROM scada_rejected_row WHERE event_uid = ANY(%(u)s)
            """,
            {"u": uids},
        )
        found = {uid for (uid,) in cr.fetchall()}
        cr.execute(
            "SELECT event_uid FROM scada_failure_report WHERE clear_uid IS NOT NULL"
            " AND event_uid = ANY(%s)",
            [uids],
        )
        cleared_raises = {uid for (uid,) in cr.fetchall()}
        for row in drawn:
            if row["event_uid"] in found:
                continue
            # A second clear of one failure: a duplicate, the first clear wins.
            self.assertTrue(
                row["kind"] == "cleared" and row["raise_uid"] in cleared_raises,
                f"row neither stored nor rejected: {row['event_uid']} {row['kind']}",
            )

    def assert_lists_answer(self) -> None:
        """The web client's reads of the lists (and the failures' form) as the manager."""
        manager = self.env(user=self.manager, context={"allowed_company_ids": self.companies.ids})
        for model, view in (
            ("scada.failure.report", "list"),
            ("scada.failure.report", "form"),
            ("scada.rejected.row", "list"),
            ("maintenance.request", "list"),
        ):
            fields = manager[model].get_views([(False, view)])["models"][model]["fields"]
            spec = {
                name: {"fields": {"display_name": {}}} if field.get("relation") else {}
                for name, field in fields.items()
            }
            records = manager[model].web_search_read([], spec, limit=200)["records"]
            if view == "form" and records:
                manager[model].browse([record["id"] for record in records]).web_read(spec)
        for path, method in (
            ("/api/scada/equipment-failure?limit=1000", "GET"),
            ("/api/scada/equipment-failure-report", "POST"),
        ):
            if method == "GET":
                answer = self.get(key=self.manager_key, path=path)
            else:
                answer = self.post({"limit": 1000}, self.manager_key, path=path)
            self.assertEqual(answer.status_code, 200, f"{method} {path}: {answer.text[:300]}")
