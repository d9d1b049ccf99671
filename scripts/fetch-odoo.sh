#!/usr/bin/env bash
# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
#
# Find an Odoo 18.0 tree for `make demo` and the Odoo test tier, fetching one
# once when there is none (issue 25). Prints the tree's directory on stdout.
#
#   1. $ODOO_PATH (default /opt/odoo18) when it holds an Odoo 18.0 tree: used as
#      it is, never modified;
#   2. else the tree an earlier run fetched, $SCADA_ODOO_CACHE/odoo-18.0-<commit>;
#   3. else a shallow clone of the pinned commit of the official repository into
#      that directory (once; about 1 GB on disk), checked: the commit checked out is
#      the pin, and odoo/release.py says 18.0.
#
#   SCADA_ODOO_SOURCE           git URL or local repository to fetch from
#                               (default https://github.com/odoo/odoo.git)
#   SCADA_ODOO_COMMIT           the commit to check out (default ODOO_PIN below)
#   SCADA_ODOO_CACHE            where fetched trees live (default ~/.cache/scada-failure-bridge)
#   SCADA_ODOO_FETCH=0          never fetch (1. and 2. only)
#   SCADA_ODOO_CONNECT_TIMEOUT  seconds allowed to reach the source (default 20)
#   SCADA_ODOO_FETCH_TIMEOUT    seconds allowed for the whole download (default 1800)
# Exit 0 with the directory on stdout; 3 when there is no tree, with one line on
# stderr saying what failed and the command pointing at an existing tree.
set -uo pipefail

# The Odoo 18.0 commit fetched by default. It is the odoo/odoo head recorded
# (repos_heads) in Odoo's official 18.0 nightly build of 2025-05-03. To move it:
# pick a commit of the 18.0 branch (git ls-remote https://github.com/odoo/odoo.git
# refs/heads/18.0), set it here, run `SCADA_ODOO_CACHE=$(mktemp -d) ODOO_PATH=/none
# bash scripts/test-odoo.sh` on a machine that reaches GitHub, and commit.
ODOO_PIN=14b53e0ef7738bfe0681ebf4f5eaedadf18bf9e8
ODOO_SERIES=18.0
OFFICIAL=https://github.com/odoo/odoo.git

ODOO_PATH="${ODOO_PATH:-/opt/odoo18}"
SOURCE="${SCADA_ODOO_SOURCE:-$OFFICIAL}"
COMMIT="${SCADA_ODOO_COMMIT:-$ODOO_PIN}"
CACHE="${SCADA_ODOO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/scada-failure-bridge}"
CONNECT_TIMEOUT="${SCADA_ODOO_CONNECT_TIMEOUT:-20}"
FETCH_TIMEOUT="${SCADA_ODOO_FETCH_TIMEOUT:-1800}"
POINT="to use an Odoo $ODOO_SERIES tree you already have: export ODOO_PATH=/path/to/odoo-$ODOO_SERIES"

is_odoo_18() {  # dir: odoo-bin, and odoo/release.py of series 18.0
    [[ -f "$1/odoo-bin" ]] && grep -qE "^version_info = \(18, 0, " "$1/odoo/release.py" 2>/dev/null
}
refuse() {  # the one line
    echo "odoo: no Odoo $ODOO_SERIES tree at ODOO_PATH=$ODOO_PATH, and $*; $POINT" >&2
    exit 3
}

if is_odoo_18 "$ODOO_PATH"; then
    echo "$ODOO_PATH"
    exit 0
fi
if [[ -f "$ODOO_PATH/odoo-bin" ]]; then
    echo "odoo: $ODOO_PATH holds an Odoo tree, but odoo/release.py does not say $ODOO_SERIES: not used" >&2
fi
if [[ ! "$COMMIT" =~ ^[0-9a-f]{40}$ ]]; then
    refuse "SCADA_ODOO_COMMIT='$COMMIT' is not a full 40-character commit id"
fi
TREE="$CACHE/odoo-$ODOO_SERIES-${COMMIT:0:12}"
if is_odoo_18 "$TREE" && [[ "$(cat "$TREE/.scada-odoo-commit" 2>/dev/null)" == "$COMMIT" ]]; then
    echo "odoo: using Odoo $ODOO_SERIES at $TREE (commit ${COMMIT:0:12}, fetched by an earlier run)" >&2
    echo "$TREE"
    exit 0
fi
if [[ "${SCADA_ODOO_FETCH:-1}" == 0 ]]; then
    refuse "fetching one is off (SCADA_ODOO_FETCH=0)"
fi
# A local repository given by a relative path: make it absolute (the probe runs in /).
[[ -d "$SOURCE" ]] && SOURCE="$(cd "$SOURCE" && pwd)"
command -v git >/dev/null 2>&1 || refuse "git is not installed to fetch one (apt-get install git)"
mkdir -p "$CACHE" 2>/dev/null || refuse "the cache $CACHE cannot be created"

export GIT_TERMINAL_PROMPT=0  # a wrong URL must fail, not ask for a password
last_error() {  # git's fatal line, else its last line
    local line
    line="$(grep -m1 -E '^(fatal|error):' <<<"$1")"
    [[ -n "$line" ]] || line="$(grep -v '^\s*$' <<<"$1" | tail -1)"
    echo "${line:-no output}"
}
# Reach the source first, under a short bound, so a machine without network
# says so in one line within seconds instead of hanging in a download.
out="$(cd / && timeout "$CONNECT_TIMEOUT" git ls-remote --exit-code "$SOURCE" HEAD 2>&1)"
rc=$?
if (( rc == 124 )); then
    refuse "fetching one failed: $SOURCE did not answer within $CONNECT_TIMEOUT s"
elif (( rc != 0 )); then
    refuse "fetching one failed: git cannot reach $SOURCE ($(last_error "$out"))"
fi

# One fetch at a time per commit (several clones may run the tests at once); a
# fetch that dies leaves only a .partial directory, removed by the next one.
exec 9>"$TREE.lock"
flock -w "$FETCH_TIMEOUT" 9 || refuse "another fetch into $TREE holds $TREE.lock"
if is_odoo_18 "$TREE" && [[ "$(cat "$TREE/.scada-odoo-commit" 2>/dev/null)" == "$COMMIT" ]]; then
    echo "odoo: using Odoo $ODOO_SERIES at $TREE (commit ${COMMIT:0:12}, fetched meanwhile)" >&2
    echo "$TREE"
    exit 0
fi
PARTIAL="$TREE.partial"
rm -rf "$PARTIAL" "$TREE"
G=(git -c advice.detachedHead=false -C "$PARTIAL")
echo "odoo: no Odoo $ODOO_SERIES tree at ODOO_PATH=$ODOO_PATH: fetching commit ${COMMIT:0:12} from $SOURCE into $TREE (once)" >&2
started=$(date +%s)
mkdir -p "$PARTIAL" && "${G[@]}" init -q && "${G[@]}" remote add origin "$SOURCE" \
    || refuse "git could not prepare $PARTIAL"
out="$(timeout "$FETCH_TIMEOUT" "${G[@]}" -c http.lowSpeedLimit=1000 -c http.lowSpeedTime=60 \
    fetch -q --depth 1 origin "$COMMIT" 2>&1)"
rc=$?
if (( rc != 0 )); then
    rm -rf "$PARTIAL"
    (( rc == 124 )) && out="timed out after $FETCH_TIMEOUT s"
    refuse "fetching commit $COMMIT from $SOURCE failed ($(last_error "$out"))"
fi
"${G[@]}" checkout -q --detach FETCH_HEAD || { rm -rf "$PARTIAL"; refuse "git checkout of $COMMIT failed"; }
got="$("${G[@]}" rev-parse HEAD)"
if [[ "$got" != "$COMMIT" ]]; then
    rm -rf "$PARTIAL"
    refuse "$SOURCE gave commit $got instead of the pinned $COMMIT"
fi
if ! is_odoo_18 "$PARTIAL"; then
    rm -rf "$PARTIAL"
    refuse "commit $COMMIT of $SOURCE is not an Odoo $ODOO_SERIES tree (odoo-bin, odoo/release.py)"
fi
rm -rf "$PARTIAL/.git"  # the tree is what runs; the commit is in .scada-odoo-commit
printf '%s\n' "$COMMIT" >"$PARTIAL/.scada-odoo-commit"
printf '%s\n' "$SOURCE" >"$PARTIAL/.scada-odoo-source"
mv "$PARTIAL" "$TREE" || refuse "cannot move $PARTIAL to $TREE"
echo "odoo: fetched Odoo $ODOO_SERIES (commit ${COMMIT:0:12}) into $TREE in $(($(date +%s) - started)) s; later runs reuse it" >&2
echo "$TREE"
