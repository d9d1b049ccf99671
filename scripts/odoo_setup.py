# ruff: noqa: F821 - `env` is given by `odoo-bin shell`
"""Configure a fresh Odoo database for the SCADA bridge; run inside `odoo-bin shell`.

    odoo-bin shell -d DB --no-http < scripts/odoo_setup.py

Used by the docker stack (docker/odoo-init.sh) and by `make demo`. Re-runnable:
the source is found by name and updated. Settings come from the environment:

    SCADA_SOURCE_NAME     name of the scada.source (default "Plant SCADA")
    SCADA_SOURCE_URI      libpq URI of the SCADA database Odoo pulls from (required)
    ODOO_ADMIN_PASSWORD   when set, becomes the password of the login "admin"
    SCADA_API_KEY_FILE    when set, an API key of "admin" is written there (mode 0600)
    SCADA_PULL_SOON       when "1", the pull's scheduled action is due at once
    SCADA_EQUIPMENT       "code=Name;code=Name": maintenance equipment to create (when no
                          equipment has that SCADA code yet), so failures link to it
"""

import os
import sys

name = os.environ.get("SCADA_SOURCE_NAME") or "Plant SCADA"
uri = os.environ.get("SCADA_SOURCE_URI")
if not uri:
    sys.exit("odoo_setup: SCADA_SOURCE_URI is not set: the URI of the SCADA database to pull from")

Source = env["scada.source"].with_context(active_test=False)
source = Source.search([("name", "=", name)], limit=1)
if source:
    source.write({"connection_uri": uri, "active": True})
    print(f"odoo_setup: source {name!r} updated")
else:
    source = Source.create({"name": name, "connection_uri": uri})
    print(f"odoo_setup: source {name!r} created")

Equipment = env["maintenance.equipment"].with_context(active_test=False)
for item in filter(None, (os.environ.get("SCADA_EQUIPMENT") or "").split(";")):
    code, _, label = item.partition("=")
    code, label = code.strip(), (label or code).strip()
    if not Equipment.search_count([("scada_code", "=", code)]):
        Equipment.create({"name": label, "scada_code": code})
        print(f"odoo_setup: equipment {label!r} (SCADA code {code!r}) created")

admin = env.ref("base.user_admin")
password = os.environ.get("ODOO_ADMIN_PASSWORD")
if password:
    admin.password = password
    print("odoo_setup: password of login 'admin' set from ODOO_ADMIN_PASSWORD")

key_file = os.environ.get("SCADA_API_KEY_FILE")
if key_file:
    key = env["res.users.apikeys"].with_user(admin).sudo()._generate(None, "scada demo", None)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    print(f"odoo_setup: API key of 'admin' written to {key_file}")

if os.environ.get("SCADA_PULL_SOON") == "1":
    cron = env.ref("scada_failure_report.ir_cron_scada_pull")
    cron.write({"active": True})
    cron._trigger()
    print("odoo_setup: the pull is due now")

env.cr.commit()
