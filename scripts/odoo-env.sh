#!/usr/bin/env bash
# Build (once) the Python environment Odoo 18 runs in, outside the clone, so a
# second test run does not reinstall it. Prints the venv's python on stdout.
#
#   ODOO_PATH        Odoo 18 source tree (default /opt/odoo18)
#   SCADA_ODOO_VENV  where the venv lives (default ~/.cache/scada-failure-bridge/odoo18-venv)
set -euo pipefail

ODOO_PATH="${ODOO_PATH:-/opt/odoo18}"
VENV="${SCADA_ODOO_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/scada-failure-bridge/odoo18-venv}"
HERE="$(cd "$(dirname "$0")/.." && pwd)"

if [[ ! -f "$ODOO_PATH/odoo-bin" ]]; then
    echo "odoo-env: no Odoo tree at ODOO_PATH=$ODOO_PATH (odoo-bin missing)" >&2
    exit 3
fi

stamp="$VENV/.odoo-requirements.sha"
want="$(cat "$ODOO_PATH/requirements.txt" "$HERE/requirements.txt" "$HERE/requirements-odoo-test.txt" | sha256sum | cut -d' ' -f1)"
if [[ ! -x "$VENV/bin/python" || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
    echo "odoo-env: building Odoo's Python environment in $VENV (first run only)" >&2
    python3.11 -m venv "$VENV"
    # gevent (the prefork longpolling worker) imports pkg_resources, gone from setuptools 81.
    "$VENV/bin/pip" install -q --upgrade pip wheel "setuptools<81" >&2
    # Odoo's own pins, adapted to Python 3.11 here: cbor2 5.4.2 does not build
    # (5.6.5 does) and python-ldap is only for the auth_ldap addon.
    reqs="$(mktemp)"
    grep -v -E '^(cbor2|python-ldap)' "$ODOO_PATH/requirements.txt" > "$reqs"
    echo "cbor2==5.6.5" >> "$reqs"
    "$VENV/bin/pip" install -q -r "$reqs" >&2
    grep -v '^\./' "$HERE/requirements.txt" > "$reqs.bridge"
    "$VENV/bin/pip" install -q -r "$reqs.bridge" -r "$HERE/requirements-odoo-test.txt" >&2
    rm -f "$reqs" "$reqs.bridge"
    echo "$want" > "$stamp"
fi
# The bridge itself changes with every commit: always refresh it (no deps: pinned above),
# under a lock, since several clones may share this venv. The test tier puts its own
# clone's bridge first on PYTHONPATH, so it never runs another clone's copy.
(
    flock -w 300 9 || true
    "$VENV/bin/pip" install -q --no-deps "$HERE/bridge" >&2
) 9>"$VENV/.bridge-install.lock"
echo "$VENV/bin/python"
