#!/usr/bin/env bash
# The test command (README "Tests"; .ci/run calls exactly this).
# Works on a fresh clone of a fresh machine: starts PostgreSQL if it is
# stopped, builds its own virtual environments, then runs every tier and
# prints per tier how many tests ran, passed, failed and were skipped.
#
# Tiers: lint (ruff, pylint-odoo), compose (docker-compose config), bridge (pytest on real
# PostgreSQL and real Modbus TCP), odoo (the module's tests in real Odoo 18,
# found at ODOO_PATH, default /opt/odoo18).
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
VENV="${SCADA_DEV_VENV:-$ROOT/.venv}"
RESULTS="$(mktemp -d /tmp/scada-tests.XXXXXX)"
trap 'rm -rf "$RESULTS"' EXIT
declare -A PASSED FAILED SKIPPED
TIERS=()

record() {  # tier passed failed skipped
    TIERS+=("$1"); PASSED[$1]=$2; FAILED[$1]=$3; SKIPPED[$1]=$4
}

# -- PostgreSQL ---------------------------------------------------------------
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    echo "test: PostgreSQL is not answering on 127.0.0.1:5432, starting it" >&2
    cluster="$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)"
    pg_ctlcluster --skip-systemctl-redirect "${cluster:-15}" main start || true
    for _ in $(seq 1 60); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.5; done
    pg_isready -h 127.0.0.1 -p 5432 || { echo "test: PostgreSQL did not start" >&2; exit 1; }
fi

# -- the bridge's virtual environment -------------------------------------------
if [[ ! -x "$VENV/bin/python" ]]; then
    echo "test: creating $VENV" >&2
    python3.11 -m venv "$VENV" || python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q --disable-pip-version-check \
    $(grep -v -E '^\s*(#|$|\./)' requirements.txt) -r requirements-dev.txt 2>&1 \
    | grep -v "^WARNING: Location" >&2
"$VENV/bin/pip" install -q --disable-pip-version-check --no-deps -e ./bridge 2>&1 \
    | grep -v "^WARNING: Location" >&2

# -- lint ---------------------------------------------------------------------
echo "== lint (ruff check + ruff format --check, pylint-odoo on the module)" >&2
# missing-readme: README.rst is what OCA's tooling generates from readme/*.md.
if "$VENV/bin/ruff" check . >&2 && "$VENV/bin/ruff" format --check . >&2 \
    && "$VENV/bin/pylint" --load-plugins=pylint_odoo --disable=all --enable=odoolint \
        --disable=missing-readme --valid-odoo-versions=18.0 --score=n \
        --manifest-required-authors="SCADA Failure Bridge contributors" \
        addons/scada_failure_report >&2; then
    record lint 1 0 0
else
    record lint 0 1 0
fi

# -- compose --------------------------------------------------------------------
echo "== compose (docker-compose config)" >&2
if bash scripts/check-compose.sh >&2; then record compose 1 0 0; else record compose 0 1 0; fi

# -- bridge -------------------------------------------------------------------
echo "== bridge (pytest, real PostgreSQL and Modbus TCP on 127.0.0.1)" >&2
"$VENV/bin/python" -m pytest tests -q -p no:cacheprovider --junitxml="$RESULTS/bridge.xml" >&2
"$VENV/bin/python" - "$RESULTS/bridge.xml" > "$RESULTS/bridge.counts" <<'PY'
import sys, xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except (OSError, ET.ParseError):
    print(0, 1, 0); sys.exit()
suites = [root] if root.tag == "testsuite" else list(root)
t = sum(int(s.get("tests", 0)) for s in suites)
f = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
sk = sum(int(s.get("skipped", 0)) for s in suites)
print(t - f - sk, f if t else 1, sk)
PY
read -r p f s < "$RESULTS/bridge.counts"
record bridge "$p" "$f" "$s"

# -- odoo -------------------------------------------------------------------------
echo "== odoo (module tests in real Odoo 18)" >&2
bash scripts/test-odoo.sh | tee "$RESULTS/odoo.out"
line="$(grep -E '^odoo: [0-9]+ passed' "$RESULTS/odoo.out" | tail -1)"
if [[ -n "$line" ]]; then
    read -r p f s < <(echo "$line" | sed -E 's/odoo: ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped/\1 \2 \3/')
    record odoo "$p" "$f" "$s"
else
    record odoo 0 1 0
fi

# -- summary ----------------------------------------------------------------------
echo
echo "tier         ran  passed  failed  skipped"
tp=0; tf=0; ts=0
for t in "${TIERS[@]}"; do
    printf "%-8s %7d %7d %7d %8d\n" "$t" $((PASSED[$t] + FAILED[$t] + SKIPPED[$t])) \
        "${PASSED[$t]}" "${FAILED[$t]}" "${SKIPPED[$t]}"
    tp=$((tp + PASSED[$t])); tf=$((tf + FAILED[$t])); ts=$((ts + SKIPPED[$t]))
done
if (( ${SKIPPED[odoo]:-0} > 0 )); then
    echo "WARNING: ${SKIPPED[odoo]} Odoo test(s) SKIPPED (no Odoo 18 tree at ODOO_PATH, or no browser for the tour): see the odoo tier above and README 'Odoo tier'"
fi
echo "total: $tp passed, $tf failed, $ts skipped"
(( tf == 0 ))
