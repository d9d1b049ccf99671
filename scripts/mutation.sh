#!/usr/bin/env bash
# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
#
# The mutation run (docs/testing.md, issue 24): changes one thing at a time in
# the code behind the product's promises and runs the tests that cover it; a
# mutant no test notices is a gap in the tests (or an equivalent change, which
# docs/testing.md explains). Not part of the test command: it takes long.
#
#   bash scripts/mutation.sh                 every bridge module below
#   bash scripts/mutation.sh reader sink     only these (names as in MODULES)
#   bash scripts/mutation.sh --odoo          the Odoo module's pull and ingest instead
#   bash scripts/mutation.sh --odoo --sample 40   at most 40 of their mutants
#   --fresh    forget the last run's results (default: go on where it stopped,
#              re-testing only functions whose code changed); --no-sql: python
#              mutants only; --no-python: SQL mutants only
#
# Two kinds of mutants, both run against the module's own tests only (TESTS):
#   python  mutmut 3 (its own venv, pinned below): every operator, constant,
#           argument and string inside the module's functions; mutmut maps each
#           function to the tests that called it and runs only those.
#   sql     the SQL text in the module's constants (which mutmut leaves alone):
#           each comparison operator and AND/OR turned into its neighbour, one at
#           a time (scripts/mutation_tool.py), against all of the module's tests.
# Log calls and raise statements are not mutated; mutants of other message
# text (an error message built apart, a reason string) are counted apart.
#
# Runs at low priority (nice 19, one worker): the machine may be shared.
# Output: var/mutation/report.md (per module: counts, then every survivor with
# file:line and diff), var/mutation/<module>.txt; mutmut's own state in
# var/mutation/work/<module>/mutants (its "mutmut browse" works there).
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
MUTMUT_VERSION=3.8.1
# Its own venv, beside Odoo's: mutmut pulls libcst, textual and coverage, which
# the test command's .venv (requirements-dev.txt) does not need.
VENV="${SCADA_MUTATION_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/scada-failure-bridge/mutation-venv}"
OUT="${SCADA_MUTATION_OUT:-$ROOT/var/mutation}"
PY_TOOL="$ROOT/scripts/mutation_tool.py"

# module -> its file under bridge/scada_bridge, and the tests that cover it, narrowest first.
declare -A FILE TESTS
FILE[reader]=store/reader.py
TESTS[reader]="tests/store/test_reader.py tests/store/test_cursor_text.py tests/store/test_cursor_ahead_message.py tests/store/test_backlog_figures.py tests/store/test_horizon.py tests/store/test_concurrency.py tests/store/test_prune.py tests/poller/test_outage.py"
FILE[insert]=store/insert.py
TESTS[insert]="tests/store/test_insert_counts.py tests/store/test_schema.py tests/poller/test_spool.py tests/poller/test_sink.py"
FILE[prune]=store/prune.py
TESTS[prune]="tests/store/test_prune.py tests/store/test_prune_boundaries.py tests/store/test_prune_arguments.py"
FILE[sink]=poller/sink.py
TESTS[sink]="tests/poller/test_sink.py tests/poller/test_outage.py tests/poller/test_doorbell.py"
FILE[spool]=poller/spool.py
TESTS[spool]="tests/poller/test_spool.py tests/poller/test_sink.py tests/poller/test_outage.py"
FILE[mailbox]=poller/mailbox.py
TESTS[mailbox]="tests/poller/test_mailbox.py tests/poller/test_fins_mailbox.py"
FILE[plc_loop]=poller/plc_loop.py
TESTS[plc_loop]="tests/poller/test_conditions.py tests/poller/test_storable.py tests/poller/test_outage.py"
FILE[events]=events.py
TESTS[events]="tests/test_events.py tests/poller/test_spool.py tests/store/test_reader.py"
ORDER=(reader insert prune sink spool mailbox plc_loop events)

ODOO=0
SAMPLE=0
SQL=1
FRESH=0
PYTHON=1
PICK=()
while (($#)); do
    case "$1" in
        --odoo) ODOO=1 ;;
        --sample) SAMPLE="$2"; shift ;;
        --no-sql) SQL=0 ;;
        --fresh) FRESH=1 ;;
        --no-python) PYTHON=0 ;;
        -h | --help) sed -n '5,31p' "$0"; exit 0 ;;
        -*) echo "mutation: unknown option $1 (see --help)" >&2; exit 2 ;;
        *)
            if [[ -z "${FILE[$1]:-}" ]]; then
                echo "mutation: no module '$1': use one of ${ORDER[*]}" >&2
                exit 2
            fi
            PICK+=("$1")
            ;;
    esac
    shift
done
((${#PICK[@]})) || PICK=("${ORDER[@]}")

if ((ODOO)); then
    exec bash "$ROOT/scripts/mutation-odoo.sh" "$SAMPLE"
fi

if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    echo "mutation: PostgreSQL is not answering on 127.0.0.1:5432: start it (pg_ctlcluster 15 main start)" >&2
    exit 1
fi

installed="$("$VENV/bin/pip" show mutmut 2>/dev/null)"
if [[ ! -x "$VENV/bin/mutmut" || "$installed" != *"Version: $MUTMUT_VERSION"* ]]; then
    echo "mutation: building $VENV (mutmut $MUTMUT_VERSION and the test requirements)" >&2
    python3 -m venv "$VENV" || exit 1
    # The bridge itself is NOT installed there: the tests must import mutmut's copy.
    "$VENV/bin/pip" install -q --disable-pip-version-check "mutmut==$MUTMUT_VERSION" \
        -r requirements-dev.txt $(grep -v -E '^\s*(#|$|\./)' requirements.txt) 2>&1 \
        | grep -v "^WARNING: Location" >&2
    "$VENV/bin/mutmut" --version >/dev/null 2>&1 || "$VENV/bin/python" -c 'import mutmut' || exit 1
fi

mkdir -p "$OUT"
commit="$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- bridge tests || echo '+changes')"
started="$(date -u +%Y-%m-%dT%H:%MZ)"
for mod in "${PICK[@]}"; do
    work="$OUT/work/$mod"
    ((FRESH)) && rm -rf "$work"
    mkdir -p "$work"
    # A copy laid out as mutmut expects (the package at the top), so the tests
    # import the mutated copy and never the working tree's. mutmut's state
    # (mutants/) stays: a second run goes on where the last one stopped and
    # re-tests the functions whose code or tests changed.
    rm -rf "$work/scada_bridge" "$work/tests" "$work/sql-results.json"
    cp -r bridge/scada_bridge "$work/scada_bridge"
    cp -r tests "$work/tests"
    cp pytest.ini "$work/pytest.ini"
    find "$work" -name __pycache__ -prune -exec rm -rf {} +
    {
        echo "[mutmut]"
        echo "source_paths=scada_bridge"
        echo "only_mutate=scada_bridge/${FILE[$mod]}"
        echo "pytest_add_cli_args_test_selection="
        for t in ${TESTS[$mod]}; do echo "    $t"; done
        echo "pytest_add_cli_args="
        # A mutant can make a test wait for what never comes: each test stops at 180 s
        # (the slowest takes ~30 s on a busy 2-core machine; pytest.ini says 300).
        printf '    %s\n' -p no:cacheprovider -o timeout=180
        # Log lines and raised errors' messages are not mutated (words for a
        # person); other message text is counted apart by the report.
        echo "do_not_mutate_patterns="
        printf '    %s\n' '_logger\.\w+\(' '^\s*raise \w+\(' 'warnings\.warn\('
        echo "also_copy=pytest.ini"
        echo "process_isolation=forkserver"
        # Its timeout counts CPU seconds of the test calls only; database set-up
        # in fixtures adds more, hence the large constant.
        echo "timeout_multiplier=5"
        echo "timeout_constant=20"
    } >"$work/setup.cfg"
    echo "== $mod: scada_bridge/${FILE[$mod]} against ${TESTS[$mod]}" >&2
    t0=$(date +%s)
    # A timing test can fail once on a loaded machine; mutmut resumes where it stopped.
    for try in 1 2 3; do
        ((PYTHON)) || break
        (cd "$work" && nice -n 19 "$VENV/bin/mutmut" run --max-children 1) >>"$work/mutmut.log" 2>&1
        rc=$?
        ((rc == 0)) && break
        echo "   mutmut exit $rc (try $try; log: $work/mutmut.log)" >&2
    done
    echo "   mutmut done in $(($(date +%s) - t0)) s" >&2
    if ((SQL)); then
        (cd "$work" && nice -n 19 "$VENV/bin/python" "$PY_TOOL" sql "scada_bridge/${FILE[$mod]}" \
            ${TESTS[$mod]}) >>"$work/mutmut.log" 2>&1
    fi
    (cd "$work" && "$VENV/bin/python" "$PY_TOOL" report "$mod" "scada_bridge/${FILE[$mod]}") \
        >"$OUT/$mod.txt"
    head -1 "$OUT/$mod.txt" >&2
done

"$VENV/bin/python" "$PY_TOOL" summary "$OUT" "$commit" "$started" "${PICK[@]}" >"$OUT/report.md"
cat "$OUT/report.md"
