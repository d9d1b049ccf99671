# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""The systemd unit `scada-bridge service systemd --config FILE` prints (issue 25).

Its content is checked line by line, and the unit is checked by systemd itself
(`systemd-analyze verify`, Debian's `systemd` package: installed here when it is
missing, as the Odoo tier installs chromium; the test is skipped, loudly, only
when it cannot be installed).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from scada_bridge.cli import main
from scada_bridge.deploy import UnitOptions, systemd_unit
from scada_bridge.errors import ConfigError

SCADA_BRIDGE = Path(sys.executable).absolute().parent / "scada-bridge"

PLANT = """
[database]
{database}
[poller]
state_dir = "{state_dir}"
{odoo}
[[plc]]
name = "line1"
host = "127.0.0.1"
port = 5020

  [[plc.condition]]
  equipment = "silo101"
  failure_code = "START_FAILURE"
  description = "Motor did not start"
  table = "coil"
  address = 0
"""


def plant(
    tmp_path: Path,
    *,
    database: str = 'uri_env = "PLANT_DB_URI"',
    state_dir: str = "/var/lib/scada-bridge/line1",
    odoo: str = '[odoo]\nurl = "http://odoo:8069"\napi_key_env = "PLANT_ODOO_KEY"',
    name: str = "plant.toml",
) -> Path:
    path = tmp_path / name
    path.write_text(PLANT.format(database=database, state_dir=state_dir, odoo=odoo), "utf-8")
    return path


def settings(unit: str) -> dict[str, list[str]]:
    """key -> values of the unit's directives (comments and sections left out)."""
    found: dict[str, list[str]] = {}
    for line in unit.splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key, []).append(value)
    return found


def test_the_unit_restarts_always_keeps_its_spool_and_reads_secrets_from_a_file(tmp_path):
    config = plant(tmp_path)
    unit = systemd_unit(config, UnitOptions(executable="/opt/scada-bridge/bin/scada-bridge"))
    s = settings(unit)
    assert s["ExecStart"] == [f"/opt/scada-bridge/bin/scada-bridge poll --config {config}"]
    assert s["Restart"] == ["always"]
    assert s["StartLimitIntervalSec"] == ["0"]
    # The configuration's state_dir is the one systemd creates and keeps.
    assert s["StateDirectory"] == ["scada-bridge/line1"]
    assert s["WorkingDirectory"] == ["/var/lib/scada-bridge/line1"]
    assert s["EnvironmentFile"] == ["/etc/scada-bridge/scada-bridge.env"]
    assert s["KillSignal"] == ["SIGTERM"] and int(s["TimeoutStopSec"][0]) >= 10
    assert s["User"] == ["scada-bridge"] and s["ProtectSystem"] == ["strict"]
    assert s["WantedBy"] == ["multi-user.target"]
    # The header names the variables the environment file must hold.
    assert "#   PLANT_DB_URI=postgresql://" in unit
    assert "#   PLANT_ODOO_KEY=" in unit


def test_no_password_ever_reaches_the_unit(tmp_path, monkeypatch):
    monkeypatch.setenv("PLANT_DB_URI", "postgresql://writer:env-s3cret@db/scada")
    monkeypatch.setenv("PLANT_ODOO_KEY", "key-s3cret")
    config = plant(tmp_path, database='uri = "postgresql://writer:file-s3cret@db/scada"')
    unit = systemd_unit(config, UnitOptions(executable="/usr/bin/scada-bridge"))
    assert "s3cret" not in unit
    assert "keep any password out of it" in unit  # the file's own uri is pointed out


def test_without_odoo_section_no_api_key_is_asked_for(tmp_path):
    unit = systemd_unit(plant(tmp_path, odoo=""), UnitOptions(executable="/usr/bin/x"))
    assert "API key" not in unit


@pytest.mark.parametrize(
    "state_dir", ["/srv/scada/state", "/var/lib", "/var/library/x", "state"], ids=repr
)
def test_a_spool_outside_var_lib_is_refused_in_one_line(tmp_path, state_dir):
    with pytest.raises(ConfigError) as refused:
        systemd_unit(plant(tmp_path, state_dir=state_dir), UnitOptions(executable="/usr/bin/x"))
    message = str(refused.value)
    assert "\n" not in message
    assert "state_dir" in message and 'state_dir = "/var/lib/scada-bridge"' in message


def test_the_command_prints_the_unit_and_refuses_in_one_line(tmp_path, capsys):
    config = plant(tmp_path)
    assert main(["service", "systemd", "--config", str(config), "--exec", "/usr/bin/sb"]) == 0
    printed = capsys.readouterr().out
    assert printed == systemd_unit(config, UnitOptions(executable="/usr/bin/sb"))
    # Without --exec: the scada-bridge of this installation.
    assert main(["service", "systemd", "--config", str(config)]) == 0
    assert f"ExecStart={SCADA_BRIDGE} poll" in capsys.readouterr().out
    assert main(["service", "systemd", "--config", str(tmp_path / "missing.toml")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "missing.toml: configuration file not found" in err
    rel = ["service", "systemd", "--config", str(config), "--exec", "bin/scada-bridge"]
    assert main(rel) == 1
    assert "must be an absolute path" in capsys.readouterr().err


def _systemd_analyze() -> str:
    """Path of systemd-analyze, installing Debian's systemd package when it is missing."""
    found = shutil.which("systemd-analyze")
    if found:
        return found
    log = Path("/tmp/scada-ops-systemd-install.log")
    with log.open("w") as out:
        done = subprocess.run(
            "apt-get update -qq && DEBIAN_FRONTEND=noninteractive "
            "apt-get install -y -qq --no-install-recommends systemd",
            shell=True,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=600,
            check=False,
        )
    found = shutil.which("systemd-analyze")
    if done.returncode != 0 or not found:
        tail = (log.read_text(errors="replace").strip().splitlines() or ["no output"])[-1]
        pytest.skip(
            "SYSTEMD UNIT NOT VERIFIED: systemd-analyze is missing and apt-get could not "
            f"install Debian's systemd package ({tail}; log {log}): "
            "apt-get install systemd, then run this test again"
        )
    return found


def verify(unit_file: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_systemd_analyze(), "--man=no", "verify", str(unit_file)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_systemd_accepts_the_unit_without_a_warning(tmp_path):
    unit_file = tmp_path / "scada-bridge.service"
    unit_file.write_text(systemd_unit(plant(tmp_path)), "utf-8")
    done = verify(unit_file)
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


def test_paths_with_spaces_and_percent_signs_survive_systemds_parsing(tmp_path):
    # systemd checks that ExecStart's program exists: a wrong quote or an
    # unescaped % (a specifier) names another path and fails the check.
    odd = tmp_path / "my plants 100%n"  # %n: the unit name, if not escaped
    odd.mkdir()
    (odd / "scada bridge").symlink_to(SCADA_BRIDGE)
    config = plant(odd, name="plant 2%d.toml")
    unit_file = tmp_path / "scada-bridge.service"
    unit_file.write_text(
        systemd_unit(config, UnitOptions(executable=str(odd / "scada bridge"))), "utf-8"
    )
    done = verify(unit_file)
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


def test_the_verifier_does_catch_a_broken_unit(tmp_path):
    """So that 'no warning' above means something: a typo and a missing program."""
    unit_file = tmp_path / "scada-bridge.service"
    text = systemd_unit(plant(tmp_path), UnitOptions(executable=str(tmp_path / "missing")))
    unit_file.write_text(text.replace("Restart=always", "Restrt=always"), "utf-8")
    done = verify(unit_file)
    assert done.returncode != 0
    assert "Restrt" in done.stderr and "missing" in done.stderr
