#!/usr/bin/env bash
# The test command (README "Tests"; .ci/run calls exactly this).
# Works on a fresh clone of a fresh machine: starts PostgreSQL if it is
# stopped, builds its own virtual environments, then runs every tier and
# prints per tier how many tests ran, passed, failed and were skipped.
#
# Tiers: lint (ruff, pylint-odoo, mypy, XML format), compose
# (docker-compose config; the stack itself where a Docker engine runs, else a
# skipped case), bridge (pytest on real PostgreSQL and real Modbus TCP, then the
# wheel built and run from a fresh venv), odoo (the module's tests in real Odoo 18
# under pytest-odoo, at ODOO_PATH, default /opt/odoo18, else fetched once by
# scripts/fetch-odoo.sh). Every tier writes JUnit XML (scripts/junit.py) and the
# table below is counted from those files only.
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

# -- MQTT broker (issue 20: tests/sources) -------------------------------------------
# The MQTT tests use the broker on 127.0.0.1:1883 when one answers; otherwise Debian's
# mosquitto (installed when missing) runs on a free port for this run, and stops after.
export SCADA_TEST_MQTT_PORT="${SCADA_TEST_MQTT_PORT:-1883}"
if ! timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$SCADA_TEST_MQTT_PORT" 2>/dev/null; then
    if ! command -v mosquitto >/dev/null && ! [[ -x /usr/sbin/mosquitto ]]; then
        echo "test: no MQTT broker on 127.0.0.1:$SCADA_TEST_MQTT_PORT: installing Debian's mosquitto" >&2
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto; } \
            >/tmp/scada-mosquitto-install.log 2>&1 \
            || echo "test: cannot install mosquitto (log: /tmp/scada-mosquitto-install.log): the MQTT tests will fail" >&2
    fi
    SCADA_TEST_MQTT_PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$SCADA_TEST_MQTT_PORT" >"$RESULTS/mosquitto.conf"
    MOSQUITTO="$(command -v mosquitto || echo /usr/sbin/mosquitto)"
    "$MOSQUITTO" -c "$RESULTS/mosquitto.conf" >"$RESULTS/mosquitto.log" 2>&1 &
    MOSQUITTO_PID=$!
    trap 'kill "$MOSQUITTO_PID" 2>/dev/null; rm -rf "$RESULTS"' EXIT
    for _ in $(seq 1 50); do
        timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$SCADA_TEST_MQTT_PORT" 2>/dev/null && break
        sleep 0.1
    done
    echo "test: started mosquitto on 127.0.0.1:$SCADA_TEST_MQTT_PORT for this run (pid $MOSQUITTO_PID)" >&2
fi
# -- end of MQTT broker --

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
# -- event source libraries (issue 20): their own file, not requirements.txt (Odoo's venv
# installs that one, and asyncua's cryptography >= 45 conflicts with Odoo 18's pin) --
"$VENV/bin/pip" install -q --disable-pip-version-check -r requirements-sources.txt 2>&1 \
    | grep -v "^WARNING: Location" >&2
# -- end of event source libraries --

# -- the tiers: each writes JUnit XML, and only that XML is counted ----------------
JUNIT=("$VENV/bin/python" "$ROOT/scripts/junit.py")
check() {  # tier name command...: one test case of the tier's JUnit XML
    local tier=$1 name=$2
    shift 2
    "${JUNIT[@]}" case "$RESULTS/$tier.xml" "$tier" "$name" -- "$@" >&2
}
check_or_skip() {  # tier name skip-code command...: exit skip-code counts as skipped
    local tier=$1 name=$2 code=$3
    shift 3
    "${JUNIT[@]}" case "$RESULTS/$tier.xml" "$tier" "$name" --skip-exit "$code" -- "$@" >&2
}
count() {  # tier: read its JUnit XML into the table
    local p f s
    read -r p f s < <("${JUNIT[@]}" count "$RESULTS/$1.xml")
    record "$1" "$p" "$f" "$s"
}

echo "== lint (ruff, pylint-odoo, mypy on bridge/, XML format)" >&2
check lint "ruff check" "$VENV/bin/ruff" check .
check lint "ruff format" "$VENV/bin/ruff" format --check .
check lint "pylint-odoo" "$VENV/bin/pylint" --load-plugins=pylint_odoo --disable=all \
    --enable=odoolint --valid-odoo-versions=18.0 --score=n \
    --manifest-required-authors="SCADA Failure Bridge contributors" addons/scada_failure_report
check lint "mypy bridge" "$VENV/bin/mypy" --config-file bridge/pyproject.toml bridge/scada_bridge
check lint "xml format (prettier)" bash scripts/format-xml.sh --check
count lint

echo "== compose (docker-compose config; the stack where a Docker engine runs)" >&2
check compose "docker-compose config" bash scripts/check-compose.sh
check_or_skip compose "stack up: a failure reaches Odoo, doctor in the poller" 4 \
    bash scripts/check-compose.sh --up
count compose

# -- an Odoo 18.0 tree: ODOO_PATH's, else the one fetched once (scripts/fetch-odoo.sh) --
# Found before the bridge tier, whose demo and odoo.conf tests need it too. When
# there is none, its one line says why (and the odoo tier's banner repeats it).
if tree="$(bash scripts/fetch-odoo.sh)"; then
    export ODOO_PATH="$tree"
fi

echo "== bridge (pytest, real PostgreSQL and Modbus TCP on 127.0.0.1)" >&2
"$VENV/bin/python" -m pytest tests -q -p no:cacheprovider --junitxml="$RESULTS/bridge.xml" >&2
# What a plant installs: the wheel python -m build makes, in a fresh venv.
check bridge "wheel: built, installed in a fresh venv, runs" \
    bash scripts/check-wheel.sh "$VENV/bin/python"
count bridge

echo "== odoo (module tests in real Odoo 18, under pytest-odoo)" >&2
SCADA_ODOO_JUNIT="$RESULTS/odoo.xml" bash scripts/test-odoo.sh
count odoo

# -- summary ----------------------------------------------------------------------
echo
echo "tier         ran  passed  failed  skipped"
tp=0; tf=0; ts=0
for t in "${TIERS[@]}"; do
    printf "%-8s %7d %7d %7d %8d\n" "$t" $((PASSED[$t] + FAILED[$t] + SKIPPED[$t])) \
        "${PASSED[$t]}" "${FAILED[$t]}" "${SKIPPED[$t]}"
    tp=$((tp + PASSED[$t])); tf=$((tf + FAILED[$t])); ts=$((ts + SKIPPED[$t]))
done
if (( ${SKIPPED[compose]:-0} > 0 )); then
    echo "NOTE: the compose stack was not started here (no Docker engine): run 'bash scripts/check-compose.sh --up' where Docker runs"
fi
if (( ${SKIPPED[odoo]:-0} > 0 )); then
    echo "WARNING: ${SKIPPED[odoo]} Odoo test(s) SKIPPED (no Odoo 18 tree at ODOO_PATH and none could be fetched, or no browser for the tour): see the odoo tier above and README 'Odoo tier'"
fi
echo "total: $tp passed, $tf failed, $ts skipped"
(( tf == 0 ))
