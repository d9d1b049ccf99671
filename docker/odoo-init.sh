#!/bin/bash
# One-shot, before the odoo service starts: create the Odoo database with the
# scada_failure_report module (or leave it as it is), then create or update the
# scada.source pointing at the stack's SCADA database. Re-runnable.
set -euo pipefail
: "${PGPASSWORD:?PGPASSWORD is not set: put ODOO_DB_PASSWORD in .env (see .env.example)}"
: "${ODOO_DB:?ODOO_DB is not set (see .env.example)}"
echo "odoo-init: database ${ODOO_DB}: installing scada_failure_report if missing"
odoo -d "$ODOO_DB" -i scada_failure_report --without-demo=all --stop-after-init --no-http
echo "odoo-init: configuring the SCADA source"
odoo shell -d "$ODOO_DB" --no-http --log-level=warn < /opt/scada/odoo_setup.py
echo "odoo-init: done"
