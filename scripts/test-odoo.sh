#!/usr/bin/env bash
# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
#
# Odoo tier: install addons/scada_failure_report into a fresh Odoo 18 database
# with odoo-bin, then run the module's tests with pytest-odoo against it (real
# Odoo, real HTTP server, real PostgreSQL) and write JUnit XML. Prints one line
# "odoo: N passed, N failed, N skipped", counted from that XML.
#
#   ODOO_PATH         Odoo 18 source tree (default /opt/odoo18; README "Odoo tier"); when
#                     it holds none, scripts/fetch-odoo.sh fetches one once (SCADA_ODOO_SOURCE,
#                     SCADA_ODOO_COMMIT, SCADA_ODOO_CACHE) or says in one line why it cannot
#   SCADA_ODOO_TESTS  pytest arguments selecting tests (default: all of the module's),
#                     e.g. "-k TestPull" or "addons/scada_failure_report/tests/test_pull.py"
#   SCADA_ODOO_TAGS   the old focus, still understood: /scada_failure_report:TestPull or
#                     /scada_failure_report:TestPull.test_clear_closes_its_report
#   SCADA_ODOO_JUNIT  where the JUnit XML goes (default /tmp/<db>.xml)
#   SCADA_ODOO_LOG    Odoo's log: the install's, then the tests' warnings (default /tmp/<db>.log)
# Exit: 0 passed, 1 failed, 4 skipped (no Odoo tree, none fetched).
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ODOO_PATH="${ODOO_PATH:-/opt/odoo18}"
MODULE=scada_failure_report
TESTS="$ROOT/addons/$MODULE/tests"
DB="scada_odoo_test_$(date +%s)_$$"
SELECT=("$TESTS")
if [[ -n "${SCADA_ODOO_TESTS:-}" ]]; then
    # Split like a shell would, quotes kept: SCADA_ODOO_TESTS='-k "TestPull or TestSecurity"'.
    mapfile -t SELECT < <(python3 -c 'import shlex, sys; print(*shlex.split(sys.argv[1]), sep="\n")' "$SCADA_ODOO_TESTS")
    # Options only (e.g. -k TestPull): within the module's tests, not the whole clone.
    if [[ " $SCADA_ODOO_TESTS" != *" addons/"* ]]; then SELECT=("$TESTS" "${SELECT[@]}"); fi
elif [[ -n "${SCADA_ODOO_TAGS:-}" && "$SCADA_ODOO_TAGS" == *:* ]]; then
    spec="${SCADA_ODOO_TAGS#*:}"              # TestClass or TestClass.test_method
    SELECT=("$TESTS" -k "${spec//./ and }")
fi
JUNIT="${SCADA_ODOO_JUNIT:-/tmp/$DB.xml}"
LOG="${SCADA_ODOO_LOG:-/tmp/$DB.log}"
JUNIT_PY="$ROOT/scripts/junit.py"
rm -f "$JUNIT"

summary() {  # the one result line, from the JUnit XML only
    read -r p f s < <(python3 "$JUNIT_PY" count "$JUNIT")
    if (( s > 0 )); then
        echo "################################################################################" >&2
        echo "##  $s ODOO TEST(S) SKIPPED: see 'SKIPPED' above and $JUNIT" >&2
        echo "################################################################################" >&2
    fi
    echo "odoo: $p passed, $f failed, $s skipped"
    (( f == 0 ))
}

if [[ ! -f "$ODOO_PATH/odoo-bin" ]]; then
    echo "odoo: no Odoo tree at ODOO_PATH=$ODOO_PATH: scripts/fetch-odoo.sh looks for one fetched earlier, else fetches it (minutes, once)" >&2
fi
FETCH_LOG="$(mktemp /tmp/scada-odoo-fetch.XXXXXX)"
if FOUND="$(bash "$ROOT/scripts/fetch-odoo.sh" 2>"$FETCH_LOG")"; then
    cat "$FETCH_LOG" >&2
    rm -f "$FETCH_LOG"
    ODOO_PATH="$FOUND"
else
    why="$(tail -1 "$FETCH_LOG")"
    rm -f "$FETCH_LOG"
    cat >&2 <<BANNER
################################################################################
##  ODOO TIER SKIPPED: the module's tests did NOT run.
##  $why
##  See README.md, section "Odoo tier".
################################################################################
BANNER
    python3 "$JUNIT_PY" skip "$JUNIT" odoo "ODOO TIER SKIPPED" "$why"
    summary
    exit 4
fi
export ODOO_PATH

if ! PY="$(bash "$ROOT/scripts/odoo-env.sh")"; then
    python3 "$JUNIT_PY" fail "$JUNIT" odoo "Odoo's Python environment" \
        "scripts/odoo-env.sh could not build Odoo's Python environment (see above)"
    summary
    exit 1
fi

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

DATA_DIR="$(mktemp -d /tmp/scada-odoo-data.XXXXXX)"
cleanup() {
    dropdb --if-exists "$DB" >/dev/null 2>&1 || psql -q -d postgres -c "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >/dev/null 2>&1
    rm -rf "$DATA_DIR"
}
trap cleanup EXIT

# This clone's bridge first: the shared venv's copy may be another clone's.
# Odoo's tree next, so pytest (and pytest-odoo) import odoo from it.
export PYTHONPATH="$ROOT/bridge:$ODOO_PATH:$TOUR_PY${PYTHONPATH:+:$PYTHONPATH}"
ADDONS="$ODOO_PATH/addons,$ROOT/addons"
PORT="$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"

echo "odoo: installing $MODULE into $DB (log: $LOG)" >&2
start=$(date +%s)
# Odoo refuses the 'postgres' superuser: it runs as this OS user over the socket.
if ! (cd "$ODOO_PATH" && timeout 1800 "$PY" odoo-bin \
    --addons-path="$ADDONS" --data-dir="$DATA_DIR" \
    -d "$DB" -i "$MODULE" --without-demo=all \
    --http-interface=127.0.0.1 --http-port="$PORT" --gevent-port="$((PORT + 1))" \
    --max-cron-threads=0 --stop-after-init --log-level=info) >"$LOG" 2>&1; then
    grep -E " (ERROR|CRITICAL) " "$LOG" | tail -20 >&2
    python3 "$JUNIT_PY" fail "$JUNIT" odoo "install $MODULE" \
        "odoo-bin -i $MODULE failed: see $LOG"
    summary
    exit 1
fi
installed=$(date +%s)

# The module's tests, every kind (TransactionCase and HttpCase) under pytest-odoo:
# --odoo-http starts Odoo's threaded HTTP server on a free port for HttpCase.
echo "odoo: running the module's tests with pytest-odoo on $DB (JUnit: $JUNIT)" >&2
(cd "$ROOT" && PYTHONPATH="$PYTHONPATH:$ROOT/scripts/pytest_plugins" timeout 1800 "$PY" -m pytest -p no:cacheprovider -p odoo_thread_dbname -p odoo_browser_wait -q -rfEs --junitxml="$JUNIT" \
    --odoo-database="$DB" --odoo-addons-path="$ADDONS" --odoo-http \
    --odoo-extra="data-dir=$DATA_DIR" --odoo-extra="http-interface=127.0.0.1" \
    --odoo-extra="max-cron-threads=0" --odoo-extra="logfile=$LOG" --odoo-log-level=warn \
    "${SELECT[@]}") >&2
rc=$?
done_at=$(date +%s)
echo "odoo: install $((installed - start))s, tests $((done_at - installed))s (pytest exit $rc; Odoo's log: $LOG)" >&2
if [[ ! -s "$JUNIT" ]]; then
    python3 "$JUNIT_PY" fail "$JUNIT" odoo "pytest-odoo" "pytest wrote no JUnit XML (exit $rc)"
fi
summary
