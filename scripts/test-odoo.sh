#!/usr/bin/env bash
# Odoo tier: install addons/scada_failure_report into a fresh Odoo 18 database
# and run the module's tests with Odoo's own runner (real Odoo, real HTTP,
# real PostgreSQL). Prints one line "odoo: N passed, N failed, N skipped".
#
#   ODOO_PATH        Odoo 18 source tree (default /opt/odoo18; README "Odoo tier")
#   SCADA_ODOO_TAGS  --test-tags value (default /scada_failure_report)
# Exit: 0 passed, 1 failed, 4 skipped (no Odoo tree).
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ODOO_PATH="${ODOO_PATH:-/opt/odoo18}"
TAGS="${SCADA_ODOO_TAGS:-/scada_failure_report}"

if [[ ! -f "$ODOO_PATH/odoo-bin" ]]; then
    cat >&2 <<BANNER
################################################################################
##  ODOO TIER SKIPPED: no Odoo 18 tree at ODOO_PATH=$ODOO_PATH
##  The module's tests did NOT run. Export an Odoo 18.0 community tree there
##  (or set ODOO_PATH): see README.md, section "Odoo tier".
################################################################################
BANNER
    echo "odoo: 0 passed, 0 failed, 1 skipped"
    exit 4
fi

PY="$(bash "$ROOT/scripts/odoo-env.sh")" || { echo "odoo: cannot build Odoo's Python environment" >&2; echo "odoo: 0 passed, 1 failed, 0 skipped"; exit 1; }

# The browser tour (tests/test_tour.py) drives Debian's headless Chromium over
# its DevTools websocket: it needs /usr/bin/chromium, and websocket-client in
# Odoo's Python. Without either, Odoo skips the tour: install both here.
if [[ ! -x /usr/bin/chromium ]]; then
    echo "odoo: /usr/bin/chromium is missing: installing Debian's chromium for the browser tour" >&2
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >/tmp/scada-odoo-chromium-install.log 2>&1; then
        echo "odoo: cannot install chromium as $(id -un): apt-get said '$(grep -E '^(E|W):' /tmp/scada-odoo-chromium-install.log | tail -1)' (log: /tmp/scada-odoo-chromium-install.log); run 'apt-get update && apt-get install -y chromium' as root, or the browser tour is SKIPPED" >&2
    fi
fi
# websocket-client goes beside the shared Odoo venv, not into it (other clones
# run from that venv at the same time); PYTHONPATH below points at it.
TOUR_PY="${SCADA_ODOO_TOUR_PYTHON:-${XDG_CACHE_HOME:-$HOME/.cache}/scada-failure-bridge/odoo18-tour-python}"
WEBSOCKET_CLIENT="websocket-client==1.8.0"
if ! PYTHONPATH="$TOUR_PY" "$PY" -c 'import websocket' 2>/dev/null; then
    echo "odoo: installing $WEBSOCKET_CLIENT into $TOUR_PY for the browser tour" >&2
    mkdir -p "$TOUR_PY"
    (
        flock -w 300 9 || true
        "$PY" -m pip install -q --disable-pip-version-check --target "$TOUR_PY" "$WEBSOCKET_CLIENT" >&2
    ) 9>"$TOUR_PY.lock" \
        || echo "odoo: cannot install $WEBSOCKET_CLIENT into $TOUR_PY: the browser tour is SKIPPED" >&2
fi

DB="scada_odoo_test_$(date +%s)_$$"
PORT="$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
DATA_DIR="$(mktemp -d /tmp/scada-odoo-data.XXXXXX)"
LOG="${SCADA_ODOO_LOG:-/tmp/$DB.log}"

cleanup() {
    dropdb --if-exists "$DB" >/dev/null 2>&1 || psql -q -d postgres -c "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >/dev/null 2>&1
    rm -rf "$DATA_DIR"
}
trap cleanup EXIT

echo "odoo: installing scada_failure_report into $DB and running tests $TAGS (log: $LOG)" >&2
start=$(date +%s)
# Odoo refuses the 'postgres' superuser: it runs as this OS user over the socket.
# This clone's bridge first: the shared venv's copy may be another clone's.
(cd "$ODOO_PATH" && PYTHONPATH="$ROOT/bridge:$TOUR_PY${PYTHONPATH:+:$PYTHONPATH}" timeout 1800 "$PY" odoo-bin \
    --addons-path="$ODOO_PATH/addons,$ROOT/addons" \
    --data-dir="$DATA_DIR" \
    -d "$DB" -i scada_failure_report --without-demo=all \
    --test-enable --test-tags "$TAGS" \
    --http-interface=127.0.0.1 --http-port="$PORT" --gevent-port="$((PORT + 1))" \
    --max-cron-threads=0 --stop-after-init --log-level=info) >"$LOG" 2>&1
rc=$?
elapsed=$(( $(date +%s) - start ))

summary="$(grep -E "[0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests when loading database" "$LOG" | tail -1)"
if [[ -z "$summary" ]]; then
    echo "odoo: no test summary in the log (install failed?); last errors:" >&2
    grep -E " (ERROR|CRITICAL) " "$LOG" | tail -20 >&2
    echo "odoo: 0 passed, 1 failed, 0 skipped"
    exit 1
fi
read -r failed errors total < <(echo "$summary" | sed -E 's/.* ([0-9]+) failed, ([0-9]+) error\(s\) of ([0-9]+) tests.*/\1 \2 \3/')
bad=$((failed + errors))
# Odoo counts a skipped test among the "tests" and only logs it: say it loud.
skipped="$(grep -c -E " INFO .*: skipped [A-Za-z0-9_]+\.test" "$LOG")"
if (( skipped > 0 )); then
    echo "################################################################################" >&2
    echo "##  $skipped ODOO TEST(S) SKIPPED:" >&2
    grep -E " INFO .*: skipped [A-Za-z0-9_]+\.test" "$LOG" | sed -E 's/.*: skipped /##    /' >&2
    echo "################################################################################" >&2
fi
if (( bad > 0 || rc != 0 )); then
    grep -E " (ERROR|CRITICAL) |^(FAIL|ERROR):|AssertionError" "$LOG" | head -60 >&2
fi
if (( total == 0 )); then
    echo "odoo: the module's tests did not run (0 tests)" >&2
    bad=1
fi
echo "odoo: ran $total tests in ${elapsed}s (odoo-bin exit $rc)" >&2
if (( rc != 0 && bad == 0 )); then bad=1; fi
echo "odoo: $((total - failed - errors - skipped)) passed, $bad failed, $skipped skipped"
(( bad == 0 ))
