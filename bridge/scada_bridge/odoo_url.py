"""Odoo's base URL, as the doctor and the poller's doorbell both take it."""

from __future__ import annotations

import ipaddress
import urllib.parse

from .errors import ConfigError

URL_ENV = "ODOO_URL"
#: Odoo's own default HTTP port.
DEFAULT_PORT = 8069


def parse_url(url: str) -> urllib.parse.SplitResult:
    """Check an Odoo base URL: http(s), a host, nothing after the path."""
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"Odoo URL {url!r} is not valid: use http://HOST:PORT "
            f"(e.g. http://127.0.0.1:{DEFAULT_PORT}) in --odoo-url or {URL_ENV}"
        )
    try:
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        raise ConfigError(f"Odoo URL {url!r} has an invalid port: use 1..65535") from None
    return parts


def is_loopback(host: str | None) -> bool:
    """True for this machine's own addresses (no proxy is ever wanted there)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False
