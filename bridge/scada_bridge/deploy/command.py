"""``scada-bridge service systemd --config FILE``: print the unit (see :mod:`.systemd`)."""

from __future__ import annotations

import argparse
import sys

from .systemd import DEFAULT_ENV_FILE, DEFAULT_USER, UnitOptions, systemd_unit


def _cmd_systemd(args: argparse.Namespace) -> int:
    options = UnitOptions(executable=args.exec, user=args.user, env_file=args.env_file)
    sys.stdout.write(systemd_unit(args.config, options))
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Add ``service`` and its ``systemd`` command to the command line's subcommands."""
    service = sub.add_parser(
        "service", help="run the poller as an operating-system service (print its unit)"
    )
    kinds = service.add_subparsers(dest="service", metavar="KIND", required=True)
    p = kinds.add_parser(
        "systemd",
        help="print the systemd unit running 'scada-bridge poll' for a configuration",
        description="Print a systemd unit (Restart=always, StateDirectory, secrets from an "
        "environment file) that runs the poller for FILE. Install it with: scada-bridge "
        "service systemd --config FILE > /etc/systemd/system/scada-bridge.service "
        "(docs/deploy.md).",
    )
    p.add_argument("--config", required=True, metavar="FILE", help="plant TOML file")
    p.add_argument(
        "--exec",
        default="",
        metavar="PATH",
        help="absolute path of scada-bridge (default: this one)",
    )
    p.add_argument(
        "--user", default=DEFAULT_USER, help=f"system user the poller runs as ({DEFAULT_USER})"
    )
    p.add_argument(
        "--env-file",
        default=DEFAULT_ENV_FILE,
        metavar="PATH",
        help=f"root-only file holding the database URI and API key ({DEFAULT_ENV_FILE})",
    )
    p.set_defaults(handler=_cmd_systemd)
