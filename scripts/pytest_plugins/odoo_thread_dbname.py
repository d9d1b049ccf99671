# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""pytest plugin for the Odoo tier (scripts/test-odoo.sh: ``-p odoo_thread_dbname``).

Odoo's server names the database on the thread that runs the tests
(``threading.current_thread().dbname``, set in ``preload_registries``), and some
of Odoo's code reads it there, e.g. ``ir.http.routing_map()``. pytest-odoo
loads the registry without it: set it the server's way for the session.
A plugin, not the module's ``conftest.py``: pytest imports a conftest before
pytest-odoo has set up ``odoo.addons``, and the addon would be imported wrong.
"""

import threading

import odoo
import pytest


@pytest.fixture(scope="session", autouse=True)
def _odoo_thread_dbname():
    thread = threading.current_thread()
    thread.dbname = odoo.tools.config["db_name"]
    yield
    del thread.dbname
