#!/usr/bin/env bash
# Validate docker-compose.yml without a Docker engine: `docker-compose config`
# (Debian's docker-compose package) parses the file, resolves .env.example and
# checks the schema. Installs the package when missing (needs root and apt).
#
#   bash scripts/check-compose.sh        exit 0 when the compose file is valid
set -euo pipefail
cd "$(dirname "$0")/.."

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
