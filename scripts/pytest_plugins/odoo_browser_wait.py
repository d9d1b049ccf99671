# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""pytest plugin for the Odoo tier (scripts/test-odoo.sh: ``-p odoo_browser_wait``).

Odoo 18 gives headless Chromium 10 s to write its DevTools port file, then
*skips* the tour (``Failed to detect chrome devtools port after 10.0s``). On a
2-core machine running other tests, Chromium's first start has taken longer,
and a tour skipped because the machine was busy proves nothing: wait up to
60 s (``SCADA_BROWSER_WAIT``), polled every 0.1 s as Odoo does, so the tour
runs, or fails for a reason of its own. Set when the session starts, once
pytest-odoo has put Odoo in test mode (importing ``odoo.tests`` earlier logs an
error).
"""

import os

import pytest


@pytest.fixture(scope="session", autouse=True)
def _odoo_browser_wait():
    from odoo.tests import common  # pylint: disable=import-outside-toplevel

    wait_s = float(os.environ.get("SCADA_BROWSER_WAIT", "60"))
    common.CHECK_BROWSER_ITERATIONS = max(
        common.CHECK_BROWSER_ITERATIONS, int(wait_s / common.CHECK_BROWSER_SLEEP)
    )
    yield
