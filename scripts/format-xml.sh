#!/usr/bin/env bash
# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
#
# The one XML formatter: prettier with @prettier/plugin-xml (versions pinned in
# scripts/xml-format/package-lock.json; settings in .prettierrc.yml), over every
# XML file git knows. Installed once with npm into a cache outside the clone.
#
#   bash scripts/format-xml.sh           rewrite the files that are not formatted
#   bash scripts/format-xml.sh --check   list them and exit 1 (the lint tier)
#
#   SCADA_XML_FORMAT_CACHE  where the npm packages go
#                           (default ~/.cache/scada-failure-bridge/xml-format-<lock hash>)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
mode="--write"
if [[ "${1:-}" == "--check" ]]; then mode="--check"; fi

if ! command -v npm >/dev/null 2>&1; then
    echo "format-xml: npm is missing: install Node.js and npm (apt-get install nodejs npm)" >&2
    exit 2
fi
lock="$ROOT/scripts/xml-format/package-lock.json"
hash="$(cat "$ROOT/scripts/xml-format/package.json" "$lock" | sha256sum | cut -c1-12)"
CACHE="${SCADA_XML_FORMAT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/scada-failure-bridge/xml-format-$hash}"
PRETTIER="$CACHE/node_modules/.bin/prettier"
PLUGIN="$CACHE/node_modules/@prettier/plugin-xml/src/plugin.js"
if [[ ! -x "$PRETTIER" || ! -f "$PLUGIN" ]]; then
    echo "format-xml: installing prettier and its XML plugin into $CACHE (first run only)" >&2
    mkdir -p "$CACHE"
    cp "$ROOT/scripts/xml-format/package.json" "$lock" "$CACHE/"
    (
        flock -w 300 9 || true
        cd "$CACHE" && npm ci --no-audit --no-fund --loglevel=error >&2
    ) 9>"$CACHE.lock" || {
        echo "format-xml: npm ci in $CACHE failed (see above): the XML format was NOT checked" >&2
        exit 2
    }
fi

cd "$ROOT"
mapfile -t files < <(git ls-files '*.xml')
if (( ${#files[@]} == 0 )); then exit 0; fi
if [[ "$mode" == "--check" ]]; then
    if ! "$PRETTIER" --config .prettierrc.yml --plugin "$PLUGIN" --list-different "${files[@]}"; then
        echo "format-xml: the files above are not formatted: run 'bash scripts/format-xml.sh'" >&2
        exit 1
    fi
else
    "$PRETTIER" --config .prettierrc.yml --plugin "$PLUGIN" --write --log-level=warn "${files[@]}"
fi
