#!/usr/bin/env bash
# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
#
# The Odoo half of the mutation run: `bash scripts/mutation.sh --odoo [--sample N]`.
# Mutants of the module's pull (models/scada_pull.py) and ingest (the _ingest_*
# methods of models/scada_failure_report.py), made by mutmut's own mutation
# operators (scripts/mutation_tool.py odoo-list), then each one written into a
# copy of the module and run against its covering tests under pytest-odoo
# (pytest -x) on ONE database where the module was installed once: the methods
# mutated are Python only, so no mutant needs a module update. Slow (Odoo loads
# its registry for every mutant: minutes each on a busy machine): SAMPLE (default
# 30) picks that many mutants, the same ones every run (a fixed seed).
# Output: var/mutation/odoo.txt (counts, then every survivor with file:line and diff).
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SAMPLE="${1:-0}"
((SAMPLE > 0)) || SAMPLE=30
ODOO_PATH="${ODOO_PATH:-/opt/odoo18}"
MODULE=scada_failure_report
VENV="${SCADA_MUTATION_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/scada-failure-bridge/mutation-venv}"
OUT="${SCADA_MUTATION_OUT:-$ROOT/var/mutation}"
WORK="$OUT/work/odoo"
# The covering tests, narrowest first. test_pull_commits.py (real commits, its own
# Odoo database: ~10 min a run) and test_reliability.py join with
# SCADA_MUTATION_ODOO_SLOW=1.
TESTS_PULL="test_pull.py test_pull_reader_cursor.py test_pull_limits.py test_source_errors.py"
TESTS_INGEST="test_pull.py test_api_push.py test_api_push_pull.py"
if [[ "${SCADA_MUTATION_ODOO_SLOW:-0}" == 1 ]]; then
    TESTS_PULL+=" test_reliability.py test_pull_commits.py"
    TESTS_INGEST+=" test_reliability.py test_pull_commits.py"
fi

[[ -x "$VENV/bin/mutmut" ]] || { echo "mutation: run 'bash scripts/mutation.sh insert' once first: it builds $VENV" >&2; exit 1; }
[[ -f "$ODOO_PATH/odoo-bin" ]] || { echo "mutation: no Odoo 18 tree at ODOO_PATH=$ODOO_PATH (README 'Odoo tier')" >&2; exit 1; }
PY="$(bash "$ROOT/scripts/odoo-env.sh")" || exit 1

rm -rf "$WORK"
mkdir -p "$WORK/addons"
cp -r "$ROOT/addons/$MODULE" "$WORK/addons/$MODULE"
find "$WORK" -name __pycache__ -prune -exec rm -rf {} +
printf '[mutmut]\nsource_paths=addons\ndo_not_mutate_patterns=\n    _logger\\.\\w+\\(\n    ^\\s*raise \\w+\\(\n' >"$WORK/setup.cfg"
(cd "$WORK" && "$VENV/bin/python" "$ROOT/scripts/mutation_tool.py" odoo-list "$SAMPLE" \
    "addons/$MODULE/models/scada_pull.py:*" \
    "addons/$MODULE/models/scada_failure_report.py:_ingest_*,_create_ingested,_clear_vals,_state,_duration,_result") \
    >"$WORK/list.log" || { cat "$WORK/list.log" >&2; exit 1; }
cat "$WORK/list.log" >&2

DB="scada_mutation_$(date +%s)_$$"
DATA_DIR="$(mktemp -d /tmp/scada-mutation-data.XXXXXX)"
LOG="$WORK/odoo.log"
cleanup() {
    dropdb --if-exists "$DB" >/dev/null 2>&1 || psql -q -d postgres -c "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >/dev/null 2>&1
    rm -rf "$DATA_DIR"
}
trap cleanup EXIT
export PYTHONPATH="$ROOT/bridge:$ODOO_PATH:$ROOT/scripts/pytest_plugins"
ADDONS="$ODOO_PATH/addons,$WORK/addons"
PORT="$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
echo "mutation: installing $MODULE into $DB once (log: $LOG)" >&2
(cd "$ODOO_PATH" && nice -n 19 timeout 1800 "$PY" odoo-bin --addons-path="$ADDONS" --data-dir="$DATA_DIR" \
    -d "$DB" -i "$MODULE" --without-demo=all --http-interface=127.0.0.1 --http-port="$PORT" \
    --gevent-port="$((PORT + 1))" --max-cron-threads=0 --stop-after-init --log-level=warn) >"$LOG" 2>&1 \
    || { echo "mutation: installing $MODULE failed: see $LOG" >&2; exit 1; }

run_tests() {  # test files (names in the module's tests/): pytest-odoo, stop at the first failure
    local files=()
    for t in "$@"; do files+=("$WORK/addons/$MODULE/tests/$t"); done
    (cd "$WORK" && nice -n 19 timeout 1200 "$PY" -m pytest -x -q -p no:cacheprovider -p odoo_thread_dbname \
        --odoo-database="$DB" --odoo-addons-path="$ADDONS" --odoo-http \
        --odoo-extra="data-dir=$DATA_DIR" --odoo-extra="http-interface=127.0.0.1" \
        --odoo-extra="max-cron-threads=0" --odoo-extra="logfile=$LOG" --odoo-log-level=warn \
        "${files[@]}") >"$WORK/last-run.log" 2>&1
}

echo "mutation: clean run of the covering tests" >&2
# shellcheck disable=SC2086
if ! run_tests $(printf '%s\n' $TESTS_PULL $TESTS_INGEST | sort -u); then
    echo "mutation: the covering tests fail without any mutant: see $WORK/last-run.log" >&2
    exit 1
fi
: >"$WORK/results.tsv"
while IFS=$'\t' read -r id file line; do
    tests=$TESTS_INGEST
    [[ "$file" == *scada_pull.py ]] && tests=$TESTS_PULL
    cp "$WORK/mutants/$id.py" "$WORK/$file"
    t0=$(date +%s)
    # shellcheck disable=SC2086
    run_tests $tests
    rc=$?
    cp "$ROOT/$file" "$WORK/$file"
    case $rc in 0) status=survived ;; 124) status=timeout ;; 1) status=killed ;; *) status="error($rc)" ;; esac
    printf '%s\t%s\t%s\t%s\t%s\n' "$id" "$file" "$line" "$status" "$(($(date +%s) - t0))" | tee -a "$WORK/results.tsv" >&2
done <"$WORK/mutants.tsv"
(cd "$WORK" && "$VENV/bin/python" "$ROOT/scripts/mutation_tool.py" odoo-report) | tee "$OUT/odoo.txt"
