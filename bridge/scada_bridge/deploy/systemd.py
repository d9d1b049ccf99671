"""The systemd unit that runs ``scada-bridge poll`` for one configuration file.

What a plant's Linux server needs from it:

* ``Restart=always``: a crash, an uncaught error or a kill brings the poller back
  after ``RestartSec``; ``StartLimitIntervalSec=0`` so systemd never gives up on it.
* ``StateDirectory=``: systemd creates the configuration's ``[poller] state_dir``
  under ``/var/lib`` for the service user, and keeps it across restarts and
  upgrades: the spool (events waiting for the database) lives there.
* Secrets stay out of the unit: ``EnvironmentFile=`` names a root-only file
  (mode 0600) holding the database URI and the Odoo API key, read by systemd
  before it drops to the service user.
* ``SIGTERM`` (what ``systemctl stop`` sends) makes the poller finish the write
  in hand, keep the rest in its spool and exit 0 within ``TimeoutStopSec``.
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import tomllib

from ..config import load
from ..config.model import DEFAULT_DB_ENV, DEFAULT_ODOO_KEY_ENV
from ..errors import ConfigError

#: Where systemd keeps ``StateDirectory=`` directories of system services.
STATE_ROOT = PurePosixPath("/var/lib")
DEFAULT_ENV_FILE = "/etc/scada-bridge/scada-bridge.env"
DEFAULT_USER = "scada-bridge"
#: Seconds systemd waits after SIGTERM before SIGKILL. The poller stops within
#: one PLC timeout plus one database statement; 30 s leaves room for a slow disk.
STOP_TIMEOUT = 30


@dataclass(frozen=True)
class UnitOptions:
    """What the unit needs besides the configuration file."""

    #: Absolute path of the ``scada-bridge`` program (default: the one running).
    executable: str = ""
    user: str = DEFAULT_USER
    env_file: str = DEFAULT_ENV_FILE


def _find_executable() -> str:
    # In a virtual environment the program sits next to its python; keep the
    # venv's path (not the resolved interpreter) so ExecStart runs this install.
    beside = Path(sys.executable).absolute().parent / "scada-bridge"
    if beside.is_file():
        return str(beside)
    found = shutil.which("scada-bridge")
    if found:
        return str(Path(found).absolute())
    raise ConfigError(
        "cannot find the scada-bridge program: give its absolute path "
        "with --exec (e.g. --exec /opt/scada-bridge/bin/scada-bridge)"
    )


def _arg(text: str) -> str:
    """One ExecStart= argument: ``%`` doubled (systemd specifiers), quoted when needed."""
    text = text.replace("%", "%%")
    if any(c in text for c in " \t\"'\\;$"):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


def _absolute(what: str, value: str, *, spaces: bool = False) -> str:
    if not PurePosixPath(value).is_absolute():
        raise ConfigError(f"{what} {value!r} must be an absolute path")
    if not spaces and any(c.isspace() or c == "%" for c in value):
        raise ConfigError(f"{what} {value!r} must be a path without spaces or %")
    return value


def _secret_names(config_file: Path) -> tuple[str, str | None]:
    """The environment variables the configuration reads its secrets from."""
    data = tomllib.loads(config_file.read_text("utf-8"))
    database = data.get("database", {})
    odoo = data.get("odoo")
    key_env = odoo.get("api_key_env", DEFAULT_ODOO_KEY_ENV) if odoo is not None else None
    return database.get("uri_env", DEFAULT_DB_ENV), key_env


def systemd_unit(config_file: str | Path, options: UnitOptions | None = None) -> str:
    """The text of the ``.service`` unit polling the PLCs of ``config_file``.

    Raises :class:`ConfigError` (one line) when the configuration is invalid or
    keeps its spool outside ``/var/lib``, where a hardened service cannot write.
    """
    options = options or UnitOptions()
    path = Path(config_file).absolute()
    # The secrets come from the environment file at run time, not now.
    config = load(path, secrets=False)
    state = PurePosixPath(config.poller.state_dir)
    if not state.is_relative_to(STATE_ROOT) or state == STATE_ROOT:
        raise ConfigError(
            f"{path}: [poller] state_dir is {state}; a service keeps its "
            f'spool under {STATE_ROOT}: set state_dir = "{STATE_ROOT}/scada-bridge" '
            "(systemd creates it for the service user)"
        )
    executable = _absolute("--exec", options.executable or _find_executable(), spaces=True)
    env_file = _absolute("--env-file", options.env_file)
    if not options.user or not options.user.replace("-", "").replace("_", "").isalnum():
        raise ConfigError(f"--user {options.user!r} is not a user name")
    uri_env, key_env = _secret_names(path)
    secrets = [f"#   {uri_env}=postgresql://WRITER:PASSWORD@DB-HOST:5432/scada"]
    if key_env:
        secrets.append(f"#   {key_env}=<Odoo API key of a SCADA Integration user>")
    if config.database.uri:
        secrets.append(
            "# (the configuration file sets [database] uri itself: keep any password out of it)"
        )
    plcs = ", ".join(p.name for p in config.plcs)
    exec_start = " ".join(_arg(a) for a in (executable, "poll", "--config", str(path)))
    return "\n".join(
        [
            f"# scada-bridge poller for {path} (PLCs: {plcs})",
            f"# Made by: scada-bridge service systemd --config {path}",
            "# Install and operate: docs/deploy.md. No secret belongs in this file: systemd",
            f"# reads them from {env_file} (owner root, mode 0600):",
            *secrets,
            "",
            "[Unit]",
            f"Description=SCADA failure bridge: PLC poller ({path.name})",
            "Wants=network-online.target",
            "After=network-online.target postgresql.service",
            "# Restart=always forever: never stop retrying after a burst of failures.",
            "StartLimitIntervalSec=0",
            "",
            "[Service]",
            "Type=exec",
            f"User={options.user}",
            f"Group={options.user}",
            f"ExecStart={exec_start}",
            f"EnvironmentFile={env_file}",
            "Restart=always",
            "RestartSec=5",
            "# SIGTERM: the poller finishes the write in hand, keeps the rest in its",
            "# spool (sent at the next start) and exits 0.",
            "KillSignal=SIGTERM",
            f"TimeoutStopSec={STOP_TIMEOUT}",
            f"StateDirectory={state.relative_to(STATE_ROOT)}",
            "StateDirectoryMode=0750",
            f"WorkingDirectory={state}",
            "UMask=0027",
            "# The poller needs the network and its state directory, nothing else.",
            "NoNewPrivileges=yes",
            "ProtectSystem=strict",
            "ProtectHome=read-only",
            "PrivateTmp=yes",
            "PrivateDevices=yes",
            "ProtectKernelTunables=yes",
            "ProtectKernelModules=yes",
            "ProtectControlGroups=yes",
            "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
            "RestrictRealtime=yes",
            "LockPersonality=yes",
            "",
            "[Install]",
            "WantedBy=multi-user.target",
            "",
        ]
    )
