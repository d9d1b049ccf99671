#!/usr/bin/env bash
# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
#
# Regenerate addons/scada_failure_report/i18n/scada_failure_report.pot with
# Odoo itself (install the module into a throwaway database, --i18n-export),
# then merge the new template into every i18n/*.po with msgmerge, so a new
# string shows up there with an empty (or "fuzzy") msgstr to translate.
# tests/test_i18n.py fails until the .pot is current and every .po complete.
#
#   ODOO_PATH   Odoo 18 source tree (default /opt/odoo18)
#
# Exit: 0 done, 1 Odoo could not install or export the module.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ODOO_PATH="${ODOO_PATH:-/opt/odoo18}"
I18N="$ROOT/addons/scada_failure_report/i18n"
POT="$I18N/scada_failure_report.pot"

PY="$(bash "$ROOT/scripts/odoo-env.sh")"
DB="scada_i18n_export_$(date +%s)_$$"
DATA_DIR="$(mktemp -d /tmp/scada-i18n-data.XXXXXX)"
LOG="/tmp/$DB.log"
OUT="$(mktemp /tmp/scada-i18n-XXXXXX.pot)"

cleanup() {
    dropdb --if-exists "$DB" >/dev/null 2>&1 || true
    rm -rf "$DATA_DIR" "$OUT"
}
trap cleanup EXIT

odoo() {
    (cd "$ODOO_PATH" && PYTHONPATH="$ROOT/bridge${PYTHONPATH:+:$PYTHONPATH}" timeout 1800 "$PY" odoo-bin \
        --addons-path="$ODOO_PATH/addons,$ROOT/addons" --data-dir="$DATA_DIR" \
        -d "$DB" --without-demo=all --max-cron-threads=0 --stop-after-init "$@") >>"$LOG" 2>&1
}

echo "update-pot: installing scada_failure_report into $DB (log: $LOG)" >&2
if ! odoo -i scada_failure_report; then
    echo "update-pot: Odoo could not install scada_failure_report into $DB: see $LOG" >&2
    exit 1
fi
if ! odoo --i18n-export="$OUT" --modules=scada_failure_report || [[ ! -s "$OUT" ]]; then
    echo "update-pot: Odoo could not export the terms of scada_failure_report: see $LOG" >&2
    exit 1
fi
mkdir -p "$I18N"
undated() { grep -v -E '^"(POT-Creation|PO-Revision)-Date: ' "$1"; }
if [[ -f "$POT" ]] && diff -q <(undated "$POT") <(undated "$OUT") >/dev/null; then
    echo "update-pot: $POT is current (only its dates would change): kept" >&2
else
    cat "$OUT" >"$POT"
    echo "update-pot: wrote $POT ($(grep -c '^msgid "' "$POT") entries, the header included)" >&2
fi

for po in "$I18N"/*.po; do
    [[ -e "$po" ]] || continue
    msgmerge --quiet --update --backup=none "$po" "$POT"
    echo "update-pot: merged into $po; translate its empty and fuzzy entries" >&2
done
rm -f "$LOG"
