#!/usr/bin/env bash
# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
#
# What a plant installs is what was tested (issue 25): `python -m build` makes the
# sdist of bridge/ and the wheel from that sdist, the wheel goes into a fresh
# virtual environment with requirements.txt's pins, and the installed program
# must print the version of bridge/scada_bridge/_version.py, answer `doctor --help`
# and migrate a throwaway database (the schema's SQL files are in the wheel).
#
#   bash scripts/check-wheel.sh [PYTHON]   PYTHON has `build` (default .venv/bin/python)
# Exit 0 when all of that holds; the failing step is named in one line otherwise.
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY="${1:-$ROOT/.venv/bin/python}"
WORK="$(mktemp -d /tmp/scada-wheel.XXXXXX)"
DB="scada_wheel_$$"
cleanup() {
    psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1
    rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "check-wheel: $*" >&2; exit 1; }

want="$("$PY" -c 'import ast, sys; t = ast.parse(open(sys.argv[1]).read()); print(next(n.value.value for n in t.body if isinstance(n, ast.Assign) and n.targets[0].id == "__version__"))' "$ROOT/bridge/scada_bridge/_version.py")" \
    || fail "cannot read __version__ from bridge/scada_bridge/_version.py"

# Build from the files git knows (committed or not, ignored ones left out): the
# editable install's scada_bridge.egg-info in bridge/ lists files of its own and
# could hide one a fresh clone lacks.
mkdir -p "$WORK/src"
(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard -- bridge \
    | xargs -0 cp --parents -t "$WORK/src") || fail "cannot copy bridge/'s files to $WORK/src"
echo "check-wheel: python -m build bridge/ (sdist, then the wheel from it)" >&2
"$PY" -m build --outdir "$WORK/dist" "$WORK/src/bridge" >"$WORK/build.log" 2>&1 \
    || fail "python -m build failed (is 'build' installed? pip install -r requirements-dev.txt): $(tail -1 "$WORK/build.log")"
wheel="$(ls "$WORK/dist"/scada_bridge-"$want"-py3-none-any.whl 2>/dev/null)"
sdist="$(ls "$WORK/dist"/scada_bridge-"$want".tar.gz 2>/dev/null)"
[[ -n "$wheel" && -n "$sdist" ]] \
    || fail "no wheel and sdist of version $want in $WORK/dist: $(ls "$WORK/dist" | tr '\n' ' ')"

echo "check-wheel: installing $(basename "$wheel") into a fresh venv" >&2
python3 -m venv "$WORK/venv" || fail "python3 -m venv failed"
grep -v -E '^\s*(#|$|\./)' "$ROOT/requirements.txt" >"$WORK/pins.txt"
"$WORK/venv/bin/pip" install -q --disable-pip-version-check -c "$WORK/pins.txt" "$wheel" \
    >"$WORK/pip.log" 2>&1 || fail "pip install of the wheel failed: $(grep -v '^WARNING: Location' "$WORK/pip.log" | tail -1)"

bin="$WORK/venv/bin/scada-bridge"
got="$(cd "$WORK" && "$bin" --version 2>&1)" || fail "scada-bridge --version failed: $got"
[[ "$got" == "scada-bridge $want" ]] || fail "scada-bridge --version printed '$got', not 'scada-bridge $want'"
(cd "$WORK" && "$bin" doctor --help >/dev/null 2>"$WORK/err") \
    || fail "scada-bridge doctor --help failed: $(tail -1 "$WORK/err")"
(cd "$WORK" && "$bin" service systemd --help >/dev/null 2>"$WORK/err") \
    || fail "scada-bridge service systemd --help failed: $(tail -1 "$WORK/err")"
# Run from $WORK so the clone's bridge/ cannot be imported instead of the wheel.
where="$(cd "$WORK" && "$WORK/venv/bin/python" -c 'import scada_bridge; print(scada_bridge.__file__)')"
[[ "$where" == "$WORK/venv/"* ]] || fail "scada_bridge was imported from $where, not from the wheel"
if createdb -h 127.0.0.1 -U postgres "$DB" 2>"$WORK/err"; then
    out="$(cd "$WORK" && "$bin" migrate --db "host=127.0.0.1 user=postgres dbname=$DB" 2>&1)" \
        || fail "scada-bridge migrate from the wheel failed (are the migrations' .sql files in it?): $out"
else
    fail "createdb failed, cannot try migrate from the wheel: $(tail -1 "$WORK/err")"
fi
echo "check-wheel: scada_bridge $want: wheel and sdist built, the wheel installed in a fresh venv runs --version, doctor --help, service systemd --help, migrate"
