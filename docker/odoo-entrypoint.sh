#!/bin/bash
# Odoo with the repository's odoo.conf ($ODOO_RC). The database password comes
# from PGPASSWORD (libpq reads it), so it is in neither the config file nor `ps`.
set -euo pipefail
: "${PGPASSWORD:?PGPASSWORD is not set: put ODOO_DB_PASSWORD in .env (see .env.example)}"
exec odoo "$@"
