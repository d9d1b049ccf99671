"""The docker stack's own files, checked without a Docker engine.

`scripts/check-compose.sh` validates docker-compose.yml; these tests check what
it mounts: the plant and scenario the plc-sim and poller services run, and the
odoo.conf the odoo service reads (against Odoo 18's own option parser).
"""

from __future__ import annotations

import configparser
import json
import os
import subprocess
from pathlib import Path

import pytest
from scada_bridge.config import load
from scada_bridge.simulator import load_scenario

ROOT = Path(__file__).resolve().parent.parent
ODOO_PATH = Path(os.environ.get("ODOO_PATH", "/opt/odoo18"))


def test_stack_plant_and_scenario_load(monkeypatch):
    monkeypatch.setenv("SCADA_DB_URI", "postgresql://scada@scada-db:5432/scada")
    config = load(ROOT / "examples" / "docker-plant.toml")
    assert [(p.name, p.host, p.port) for p in config.plcs] == [
        ("line1", "plc-sim", 5020),
        ("line2", "plc-sim", 5021),
    ]
    # The poller's spool is the named volume docker-compose.yml mounts there.
    assert str(config.poller.state_dir) == "/var/lib/scada-bridge"
    assert "/var/lib/scada-bridge" in (ROOT / "docker-compose.yml").read_text()
    scenario = load_scenario(ROOT / "examples" / "demo-scenario.toml", config)
    assert scenario.repeat
    assert {s.action for s in scenario.steps} == {"raise", "clear", "mailbox", "wait"}


def test_stack_plant_holds_no_password():
    text = (ROOT / "examples" / "docker-plant.toml").read_text()
    assert "uri =" not in text and "api_key =" not in text


def _odoo_conf() -> dict[str, str]:
    parser = configparser.ConfigParser()
    parser.read(ROOT / "odoo.conf")
    return dict(parser["options"])


def test_odoo_conf_settings_the_issue_asks_for():
    conf = _odoo_conf()
    assert conf["list_db"] == "False"
    assert conf["proxy_mode"] == "True"
    assert conf["db_host"] == "db"
    assert int(conf["workers"]) >= 1 and int(conf["max_cron_threads"]) >= 1
    # A pull drains a backlog batch by batch: give the cron more than HTTP requests.
    assert int(conf["limit_time_real_cron"]) > int(conf["limit_time_real"])
    assert "/mnt/extra-addons" in conf["addons_path"].split(",")
    assert "db_password" not in conf and "admin_passwd" not in conf


@pytest.mark.skipif(
    not (ODOO_PATH / "odoo-bin").is_file(),
    reason=f"needs an Odoo 18 tree at ODOO_PATH={ODOO_PATH}",
)
def test_every_odoo_conf_key_is_an_odoo_18_option():
    # Odoo's Python, built once outside the clone (the Odoo tier uses the same one).
    env_sh = subprocess.run(
        ["bash", str(ROOT / "scripts" / "odoo-env.sh")],
        capture_output=True,
        text=True,
        timeout=1800,
        check=True,
    )
    odoo_python = env_sh.stdout.strip().splitlines()[-1]
    # Odoo keeps unknown keys silently; a misspelt one would just not apply.
    probe = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); from odoo.tools import config; "
        "p = config.parser; "
        "opts = list(p.option_list) + [o for g in p.option_groups for o in g.option_list]; "
        "print(json.dumps(sorted({o.dest for o in opts if o.dest})))"
    )
    out = subprocess.run(
        [odoo_python, "-c", probe, str(ODOO_PATH)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    known = set(json.loads(out.stdout))
    unknown = sorted(set(_odoo_conf()) - known)
    assert unknown == [], f"odoo.conf keys Odoo 18 does not know: {unknown}"
