"""The screens a maintenance manager opens, called the way Odoo 18's web client calls them.

Each screen is one JSON-RPC call to ``/web/dataset/call_kw`` (``web_search_read`` for
a list, ``web_read_group`` for a grouped list, ``read_group`` with ``lazy=False`` for a
pivot or graph, ``web_read`` for a form) or one GET of the API, made over HTTP with
the session cookie of a logged-in user. The list and form specifications are built
from the views Odoo serves (``get_views``), as the web client builds them, so a field
added to a view is measured too. Times are the round trip on the loopback: the
server's time plus a JSON parse of the answer, which at 80 rows is under a millisecond.
"""

from __future__ import annotations

import ast
import statistics
import time
from collections.abc import Callable
from xml.etree import ElementTree

import requests

Call = Callable[[], object]


class Client:
    """A logged-in web client session on one Odoo server."""

    def __init__(self, url: str, db: str, login: str, password: str) -> None:
        self.url = url
        self.http = requests.Session()
        reply = self.http.post(
            f"{url}/web/session/authenticate",
            json={"jsonrpc": "2.0", "params": {"db": db, "login": login, "password": password}},
            timeout=60,
        ).json()
        if reply.get("error"):
            raise RuntimeError(f"login as {login} refused: {reply['error']['data']['message']}")
        self.context = dict(reply["result"]["user_context"], bin_size=True)
        self.context["allowed_company_ids"] = [reply["result"]["user_companies"]["current_company"]]

    def call(self, model: str, method: str, *args, **kwargs):
        kwargs.setdefault("context", self.context)
        reply = self.http.post(
            f"{self.url}/web/dataset/call_kw/{model}/{method}",
            json={
                "jsonrpc": "2.0",
                "method": "call",
                "params": {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
            },
            timeout=600,
        ).json()
        if reply.get("error"):
            data = reply["error"]["data"]
            raise RuntimeError(f"{model}.{method}: {data.get('name')}: {data.get('message')}")
        return reply["result"]

    def get(self, path: str) -> dict:
        reply = self.http.get(f"{self.url}{path}", timeout=600)
        if reply.status_code != 200:
            raise RuntimeError(f"GET {path}: HTTP {reply.status_code} {reply.text[:200]}")
        return reply.json()

    def view_spec(self, model: str, view_type: str) -> tuple[dict, ElementTree.Element]:
        """The specification the web client reads a view's records with, and the view."""
        answer = self.call(model, "get_views", views=[[False, view_type], [False, "search"]])
        arch = ElementTree.fromstring(answer["views"][view_type]["arch"])
        fields = answer["models"][model]["fields"]
        spec: dict = {}
        for node in arch.iter("field"):
            name = node.get("name")
            if name not in fields or name in spec:
                continue
            ftype = fields[name]["type"]
            if ftype == "many2one":
                spec[name] = {"fields": {"display_name": {}}}
            elif ftype in ("one2many", "many2many"):
                spec[name] = {"fields": {"display_name": {}}, "limit": 40}
            else:
                spec[name] = {}
        return spec, ElementTree.fromstring(answer["views"]["search"]["arch"])


def filter_domain(search_arch: ElementTree.Element, name: str) -> list:
    """A search view filter's domain, when it is a literal (the default filters are)."""
    for node in search_arch.iter("filter"):
        if node.get("name") == name:
            return ast.literal_eval(node.get("domain") or "[]")
    raise KeyError(f"no filter {name!r} in the search view")


def screens(client: Client, failures: int) -> dict[str, Call]:
    """Every screen of issue 22, as a call that returns what the browser would get."""
    c = client
    fail_spec, _ = c.view_spec("scada.failure.report", "list")
    rel_spec, rel_search = c.view_spec("scada.equipment.reliability", "list")
    eq_spec, _ = c.view_spec("maintenance.equipment", "form")
    src_spec, _ = c.view_spec("scada.source", "list")
    log_spec, _ = c.view_spec("scada.sync.log", "list")
    plc_spec, _ = c.view_spec("scada.plc.status", "list")
    rel_domain = filter_domain(rel_search, "scada_equipment")
    [equipment] = c.call(
        "maintenance.equipment", "search_read", [("scada_code", "=", "eq0000")], ["id"]
    )

    def listing(model: str, spec: dict, domain: list) -> Call:
        return lambda: c.call(
            model,
            "web_search_read",
            specification=spec,
            domain=domain,
            offset=0,
            limit=80,
            order="",
            count_limit=10001,
        )

    def pivot(model: str, measures: list[str], groupby: list[str], domain=()) -> Call:
        return lambda: c.call(
            model,
            "read_group",
            domain=list(domain),
            fields=measures,
            groupby=groupby,
            lazy=False,
        )

    deep = max(0, failures - 100)
    # The key of the failure just before the deep page (one slow call, not timed).
    after = c.get(f"/api/scada/equipment-failure?limit=1&offset={max(0, deep - 1)}")["next"]
    return {
        "failures list": listing("scada.failure.report", fail_spec, []),
        "failures: search equipment code": listing(
            "scada.failure.report", fail_spec, [("equipment_code", "ilike", "eq0421")]
        ),
        "failures grouped by failure code": lambda: c.call(
            "scada.failure.report",
            "web_read_group",
            domain=[],
            fields=["duration:sum"],
            groupby=["failure_code_id"],
            limit=80,
            offset=0,
            orderby="",
            lazy=True,
        ),
        "equipment form (SCADA KPIs)": lambda: c.call(
            "maintenance.equipment", "web_read", [equipment["id"]], specification=eq_spec
        ),
        "equipment reliability list": listing("scada.equipment.reliability", rel_spec, rel_domain),
        "equipment reliability pivot": pivot(
            "scada.equipment.reliability",
            ["downtime_hours:sum", "failure_count:sum", "mttr_hours:avg", "mtbf_hours:avg"],
            ["category_id"],
            rel_domain,
        ),
        "downtime pivot by equipment": pivot(
            "scada.failure.report", ["__count", "duration:sum"], ["equipment_id"]
        ),
        "downtime graph by month": pivot(
            "scada.failure.report", ["duration:sum"], ["started_at:month"]
        ),
        "sources list": listing("scada.source", src_spec, []),
        "sync log list": listing("scada.sync.log", log_spec, []),
        "SCADA > PLCs": listing("scada.plc.status", plc_spec, []),
        "API GET first page": lambda: c.get("/api/scada/equipment-failure?limit=80"),
        "API GET deep page (offset)": lambda: c.get(
            f"/api/scada/equipment-failure?limit=80&offset={deep}"
        ),
        "API GET deep page (after=key)": lambda: c.get(
            f"/api/scada/equipment-failure?limit=80&after={after}"
        ),
    }


def measure(calls: dict[str, Call], repeat: int) -> dict[str, tuple[float, float]]:
    """Median and p95 in seconds of ``repeat`` calls of each screen (after one warm-up)."""
    figures = {}
    for name, call in calls.items():
        call()  # warm-up: registry caches, first plan
        samples = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            call()
            samples.append(time.perf_counter() - t0)
        samples.sort()
        p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
        figures[name] = (statistics.median(samples), p95)
        print(f"  {name:<36} median {figures[name][0]:.3f} s  p95 {p95:.3f} s", flush=True)
    return figures
