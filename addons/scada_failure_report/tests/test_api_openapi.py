# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""The OpenAPI document says what the routes do: every documented answer is produced
over HTTP here and checked against its schema, and every /api/scada route is documented."""

import json
import re
import uuid
from pathlib import Path

from odoo.tests import tagged
from odoo.tests.common import Opener

from .api_common import API, ScadaApiCase

DOC_PATH = Path(__file__).parents[1] / "static" / "api" / "openapi.json"
#: Documented answers no single-threaded test can provoke, and why.
NOT_PROVOKED = {
    # Needs two transactions inserting the same event_uid at the same instant;
    # HttpCase runs every request on the test's one cursor.
    ("/api/scada/equipment-failure", "post", "409"),
}


class SchemaError(AssertionError):
    pass


def _matches(doc, schema, value, where):
    try:
        check(doc, schema, value, where)
    except SchemaError:
        return False
    return True


def check(doc, schema, value, where="$"):
    """Validate ``value`` against the JSON Schema subset the document uses."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return check(doc, doc["components"]["schemas"][name], value, where)
    if "oneOf" in schema:
        passing = sum(_matches(doc, option, value, where) for option in schema["oneOf"])
        if passing != 1:
            raise SchemaError(f"{where}: {passing} of oneOf match {value!r:.200}")
        return None
    if "const" in schema and value != schema["const"]:
        raise SchemaError(f"{where}: {value!r} != {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        raise SchemaError(f"{where}: {value!r} not in {schema['enum']}")
    types = schema.get("type")
    if types:
        types = [types] if isinstance(types, str) else types
        kinds = {
            "object": dict,
            "array": list,
            "string": str,
            "boolean": bool,
            "null": type(None),
        }
        ok = any(
            (t == "integer" and isinstance(value, int) and not isinstance(value, bool))
            or (t == "number" and isinstance(value, int | float) and not isinstance(value, bool))
            or (t in kinds and isinstance(value, kinds[t]))
            for t in types
        )
        if not ok:
            raise SchemaError(f"{where}: {value!r:.100} is not {types}")
    if isinstance(value, str) and len(value) < schema.get("minLength", 0):
        raise SchemaError(f"{where}: too short")
    if isinstance(value, dict):
        for name in schema.get("required", []):
            if name not in value:
                raise SchemaError(f"{where}: missing {name!r}")
        for name, sub in schema.get("properties", {}).items():
            if name in value:
                check(doc, sub, value[name], f"{where}.{name}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            check(doc, schema["items"], item, f"{where}[{i}]")
    return None


@tagged("post_install", "-at_install")
class TestApiOpenApi(ScadaApiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.doc = json.loads(DOC_PATH.read_text())

    def documented(self):
        return {
            (path, method, status)
            for path, item in self.doc["paths"].items()
            for method, operation in item.items()
            for status in operation["responses"]
        }

    def test_every_route_is_documented_with_its_methods(self):
        routes = {}
        for rule in self.env["ir.http"].routing_map().iter_rules():
            if rule.rule.startswith("/api/scada/"):
                methods = {m.lower() for m in rule.methods or ()} - {"head", "options"}
                path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
                routes.setdefault(path, set()).update(methods)
        documented = {path: set(item) for path, item in self.doc["paths"].items()}
        self.assertEqual(routes, documented)
        self.assertTrue(self.doc["openapi"].startswith("3.1"))

    def test_document_is_served_by_odoo(self):
        response = self.opener.get(
            self.base_url() + "/scada_failure_report/static/api/openapi.json", timeout=30
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json(), self.doc)

    def test_every_documented_answer_happens_and_matches_its_schema(self):
        seen = set()

        def expect(path, method, status, response):
            self.assertEqual(response.status_code, int(status), f"{method} {path}: {response.text}")
            operation = self.doc["paths"][path][method]
            self.assertIn(status, operation["responses"], f"{method} {path} answered {status}")
            documented = operation["responses"][status]
            schema = documented["content"]["application/json"]["schema"]
            try:
                check(self.doc, schema, response.json())
            except SchemaError as exc:
                self.fail(f"{method.upper()} {path} {status}: {exc}")
            for header in documented.get("headers", {}):
                self.assertIn(header, response.headers, f"{method} {path} {status}")
            seen.add((path, method, status))

        login = "/api/scada/authenticate"
        pull = "/api/scada/pull"
        status = "/api/scada/status"
        event = self.event()
        bot = self.bot_key

        expect(API, "post", "201", self.post(event, bot))
        expect(API, "post", "200", self.post(event, bot))
        rpc = {"jsonrpc": "2.0", "id": 1, "params": {"events": [self.event(), event]}}
        expect(API, "post", "201", self.post(rpc, bot))
        expect(API, "post", "400", self.post(None, bot, raw=b"{"))
        expect(API, "post", "401", self.post(event))
        expect(API, "post", "403", self.post(event, self.reader_key))
        expect(API, "post", "411", self.post_chunked(API, bot))
        big = {"events": [self.event(description="x" * 4000) for _ in range(600)]}
        expect(API, "post", "413", self.post(big, bot))
        expect(API, "post", "415", self.post(event, bot, headers={"Content-Type": "text/plain"}))
        expect(API, "post", "422", self.post({"events": [{"kind": "x"}]}, bot))
        bad_rpc = {"jsonrpc": "2.0", "id": "a", "params": {"equipment_code": ""}}
        expect(API, "post", "422", self.post(bad_rpc, bot))

        expect(API, "get", "200", self.get({"limit": 5}, self.reader_key))
        expect(API, "get", "400", self.get({"limit": "many"}, bot))
        expect(API, "get", "401", self.get({}, None))
        expect(API, "get", "403", self.get({}, self.outsider_key))

        creds = {"db": self.env.cr.dbname, "login": "scada_bot", "password": "scada_bot-pass-1"}
        expect(login, "post", "200", self.post(creds, path=login, opener=self.fresh()))
        rpc_login = {"jsonrpc": "2.0", "id": 3, "params": creds}
        expect(login, "post", "200", self.post(rpc_login, path=login, opener=self.fresh()))
        # The login is always the compatibility flow: refusals are 200, status error.
        expect(login, "post", "200", self.post(None, path=login, raw=b"\xff"))
        wrong = dict(creds, password="nope")
        expect(login, "post", "200", self.post(wrong, path=login, opener=self.fresh()))
        expect(login, "post", "200", self.post(dict(creds, db="elsewhere"), path=login))
        expect(login, "post", "200", self.post_chunked(login))
        expect(
            login, "post", "200", self.post(creds, path=login, headers={"Content-Type": "text/csv"})
        )
        expect(login, "post", "200", self.post({"login": 5}, path=login))
        huge = {"login": "x" * (3 * 1024 * 1024), "password": "y"}

        health = "/api/scada/health"
        version = "/api/scada/version"
        expect(health, "get", "200", self.get(path=health))
        expect(version, "get", "200", self.get(key=self.reader_key, path=version))
        expect(version, "get", "401", self.get(path=version))
        expect(version, "get", "403", self.get(key=self.outsider_key, path=version))
        by_query = "/api/scada/equipment"
        by_path = "/api/scada/equipment/{code}"
        for path in (by_query, by_path):

            def ask(code, key, path=path):
                if path == by_query:
                    return self.get({"code": code}, key, path=by_query)
                return self.get(key=key, path=f"/api/scada/equipment/{code}")

            expect(path, "get", "200", ask("silo101", bot))
            expect(path, "get", "400", ask("x" * 129, bot))
            expect(path, "get", "401", ask("silo101", None))
            expect(path, "get", "403", ask("silo101", self.outsider_key))
            expect(path, "get", "404", ask("silo999", self.reader_key))
        report = "/api/scada/equipment-failure-report"
        expect(report, "post", "200", self.post({"period": "this_year"}, bot, path=report))
        rpc_report = {"jsonrpc": "2.0", "id": 4, "params": {"equipment_code": "silo101"}}
        expect(report, "post", "200", self.post(rpc_report, self.reader_key, path=report))
        expect(report, "post", "400", self.post({"period": "someday"}, bot, path=report))
        expect(report, "post", "401", self.post({}, path=report))
        expect(report, "post", "403", self.post({}, self.outsider_key, path=report))
        expect(report, "post", "411", self.post_chunked(report, bot))
        expect(report, "post", "413", self.post(huge, bot, path=report))
        expect(
            report,
            "post",
            "415",
            self.post({}, bot, path=report, headers={"Content-Type": "text/plain"}),
        )
        old_list = "/api/scada/failure-reports"
        expect(old_list, "get", "200", self.get({"limit": 5}, self.reader_key, path=old_list))
        expect(old_list, "get", "400", self.get({"offset": 2**63}, bot, path=old_list))
        expect(old_list, "get", "401", self.get({}, None, path=old_list))
        expect(old_list, "get", "403", self.get({}, self.outsider_key, path=old_list))

        expect(pull, "post", "202", self.post({}, bot, path=pull))
        expect(pull, "post", "401", self.post({}, uuid.uuid4().hex, path=pull))
        expect(pull, "post", "403", self.post({}, self.reader_key, path=pull))
        expect(pull, "post", "411", self.post_chunked(pull, bot))
        expect(pull, "post", "413", self.post(huge, bot, path=pull))

        expect(status, "get", "200", self.get(key=self.manager_key, path=status))
        expect(status, "get", "401", self.get(path=status))
        expect(status, "get", "403", self.get(key=self.reader_key, path=status))

        self.assertEqual(seen, self.documented() - NOT_PROVOKED)

    def fresh(self):
        """A client with an empty cookie jar."""
        return Opener(self.cr)

    def post_chunked(self, path, key=None):
        """A body sent with Transfer-Encoding: chunked, hence without Content-Length."""
        headers = {"Content-Type": "application/json"}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return self.opener.post(
            self.base_url() + path, data=iter([b"{}"]), headers=headers, timeout=30
        )
