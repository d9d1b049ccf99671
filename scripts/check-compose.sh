#!/usr/bin/env bash
# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
#
# Validate docker-compose.yml without a Docker engine: `docker-compose config`
# (Debian's docker-compose package) parses the file, resolves .env.example and
# checks the schema. Installs the package when missing (needs root and apt).
#
#   bash scripts/check-compose.sh        exit 0 when the compose file is valid
#   bash scripts/check-compose.sh --up   where a Docker engine runs: build the images,
#       start the stack (own project name, random passwords, a free Odoo port), wait
#       until a simulated failure is in Odoo (JSON-RPC, through the scheduled pull),
#       run `scada-bridge doctor` inside the poller container, take it all down
#       (volumes too). Exit 0 proven, 1 failed, 4 skipped: no Docker engine here.
#       SCADA_COMPOSE_TIMEOUT: seconds to wait for the failure (default 600).
set -euo pipefail
cd "$(dirname "$0")/.."

SKIPPED=4

up() {
    # Globals, not locals: the EXIT trap below reads them.
    local info port deadline found
    if ! command -v docker >/dev/null 2>&1; then
        echo "check-compose --up: SKIPPED: no docker command on this machine; run it where Docker runs"
        exit $SKIPPED
    fi
    if ! info="$(timeout 20 docker info --format '{{.ServerVersion}}' 2>&1)"; then
        echo "check-compose --up: SKIPPED: no Docker engine answers here ($(tail -1 <<<"$info")); run it where Docker runs: bash scripts/check-compose.sh --up"
        exit $SKIPPED
    fi
    if docker compose version >/dev/null 2>&1; then
        compose=(docker compose)
    elif command -v docker-compose >/dev/null 2>&1; then
        compose=(docker-compose)
    else
        echo "check-compose --up: Docker $info runs but neither 'docker compose' nor docker-compose is installed" >&2
        exit 1
    fi
    project="scada-check-$$"
    env_file="$(mktemp)"
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    # .env.example with fresh passwords, this run's port and image tag.
    python3 - "$env_file" "$port" <<'PY'
import re, secrets, sys
text = open(".env.example").read()
text = re.sub(r"^(\w+_PASSWORD)=.*$", lambda m: f"{m[1]}={secrets.token_hex(12)}", text, flags=re.M)
text = re.sub(r"^ODOO_PORT=.*$", f"ODOO_PORT={sys.argv[2]}", text, flags=re.M)
text = re.sub(r"^SCADA_BRIDGE_TAG=.*$", "SCADA_BRIDGE_TAG=check", text, flags=re.M)
open(sys.argv[1], "w").write(text)
PY
    compose+=(-p "$project" --env-file "$env_file")
    trap '"${compose[@]}" down -v --remove-orphans >/dev/null 2>&1; rm -f "$env_file"' EXIT
    failed() {
        echo "check-compose --up: $*" >&2
        "${compose[@]}" ps >&2 || true
        "${compose[@]}" logs --tail 30 >&2 || true
        exit 1
    }
    echo "check-compose --up: Docker $info: building the images" >&2
    timeout 1800 "${compose[@]}" build >&2 || failed "building the images failed"
    echo "check-compose --up: starting the stack as project $project, Odoo on port $port" >&2
    timeout 900 "${compose[@]}" up -d >&2 || failed "the stack did not start"
    deadline="${SCADA_COMPOSE_TIMEOUT:-600}"
    # The scenario raises a failure within seconds; the scheduled pull runs every minute.
    if ! found="$(python3 - "$env_file" "$port" "$deadline" <<'PY'
import json, sys, time, urllib.request
env = dict(l.split("=", 1) for l in open(sys.argv[1]).read().splitlines() if "=" in l and not l.startswith("#"))
url, deadline = f"http://127.0.0.1:{sys.argv[2]}/jsonrpc", time.monotonic() + float(sys.argv[3])
def call(service, method, *args):
    body = json.dumps({"jsonrpc": "2.0", "method": "call", "params": {"service": service, "method": method, "args": args}}).encode()
    req = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as answer:
        reply = json.load(answer)
    if "error" in reply:
        raise RuntimeError(reply["error"].get("data", {}).get("message") or reply["error"])
    return reply["result"]
started, last = time.monotonic(), "no answer yet"
while time.monotonic() < deadline:
    try:
        db, password = env["ODOO_DB"], env["ODOO_ADMIN_PASSWORD"]
        uid = call("common", "login", db, "admin", password)
        rows = call("object", "execute_kw", db, uid, password, "scada.failure.report", "search_read", [[]], {"fields": ["equipment_code", "failure_code", "origin"], "limit": 5})
        if rows:
            print(f"{len(rows)} failure(s) in Odoo after {time.monotonic() - started:.0f} s, e.g. {rows[0]['equipment_code']} {rows[0]['failure_code']} ({rows[0]['origin']})")
            sys.exit(0)
        last = "Odoo answers, no failure yet"
    except Exception as exc:
        last = str(exc)
    time.sleep(5)
print(f"no failure reached Odoo within {sys.argv[3]} s (last: {last})")
sys.exit(1)
PY
)"; then
        failed "$found"
    fi
    echo "check-compose --up: $found" >&2
    "${compose[@]}" exec -T poller scada-bridge doctor --config /etc/scada-bridge/plant.toml >&2 \
        || failed "scada-bridge doctor inside the poller container found a problem (rows above)"
    echo "check-compose --up: proven with Docker $info: images built, stack up, $found, doctor all good in the poller container; stack taken down"
    exit 0
}

if [[ "${1:-}" == "--up" ]]; then
    up
fi

if ! command -v docker-compose >/dev/null 2>&1; then
    echo "check-compose: installing Debian's docker-compose package" >&2
    if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
        echo "check-compose: docker-compose is missing and cannot be installed here" \
             "(needs root and apt-get): apt-get install docker-compose" >&2
        exit 2
    fi
    if ! DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null \
        || ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
            docker-compose >/dev/null; then
        echo "check-compose: apt-get could not install docker-compose (no network or" \
             "no package list?): install it by hand, apt-get install docker-compose" >&2
        exit 2
    fi
fi

# 1. The file is valid with the committed example settings.
docker-compose --env-file .env.example config -q

# 2. It holds the services the README names, and Odoo is published on ODOO_PORT.
services="$(docker-compose --env-file .env.example config --services | sort | tr '\n' ' ')"
for want in db scada-db scada-migrate plc-sim poller odoo-init odoo; do
    if [[ " $services" != *" $want "* ]]; then
        echo "check-compose: service '$want' is missing from docker-compose.yml" \
             "(found: $services)" >&2
        exit 1
    fi
done
rendered="$(docker-compose --env-file .env.example config)"
if ! grep -q "published: 8069" <<<"$rendered"; then
    echo "check-compose: Odoo is not published on port 8069 with .env.example's ODOO_PORT" >&2
    exit 1
fi

# 3. Every file the stack mounts or builds from is in the repository (config does
#    not check bind mounts: a missing one would become an empty directory).
root="$(pwd)"
missing=0
while read -r src; do
    if [[ ! -e "$src" ]]; then
        echo "check-compose: mounted path ${src#"$root"/} does not exist" >&2
        missing=1
    fi
done < <(grep -oE "^\s+- ${root}/[^:]+" <<<"$rendered" | sed -E 's/^\s+- //' | sort -u)
while read -r dockerfile; do
    if [[ ! -f "$dockerfile" ]]; then
        echo "check-compose: $dockerfile does not exist" >&2
        missing=1
        continue
    fi
    # COPY sources (not --from=stage): paths relative to the build context, the root.
    while read -r src; do
        if [[ ! -e "$src" ]]; then
            echo "check-compose: $dockerfile copies $src, which does not exist" >&2
            missing=1
        fi
    done < <(grep -E '^COPY ' "$dockerfile" | grep -v -- '--from=' \
             | awk '{for (i = 2; i < NF; i++) print $i}')
done < <(grep -oE "dockerfile: \S+" <<<"$rendered" | awk '{print $2}' | sort -u)
[[ $missing -eq 0 ]] || exit 1

# 4. A missing password is refused with a message naming it, instead of starting
#    PostgreSQL with an empty one.
tmp_env="$(mktemp)"
trap 'rm -f "$tmp_env"' EXIT
grep -v '^SCADA_DB_PASSWORD=' .env.example >"$tmp_env"
if out="$(env -u SCADA_DB_PASSWORD docker-compose --env-file "$tmp_env" config -q 2>&1)"; then
    echo "check-compose: the stack starts without SCADA_DB_PASSWORD; it must refuse" >&2
    exit 1
fi
if ! grep -q "SCADA_DB_PASSWORD" <<<"$out"; then
    echo "check-compose: without SCADA_DB_PASSWORD the error does not name it: $out" >&2
    exit 1
fi

echo "check-compose: docker-compose.yml is valid ($(wc -w <<<"$services") services)"
