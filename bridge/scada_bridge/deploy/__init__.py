"""Running the poller as an operating-system service (issue 25).

:mod:`.systemd` writes the systemd unit for one poller configuration
(``scada-bridge service systemd --config FILE``); :mod:`.command` adds that
command to the command line. Windows (NSSM) is documented in ``docs/deploy.md``.

Imports only ``config`` and ``errors``.
"""

from __future__ import annotations

from .systemd import STATE_ROOT, UnitOptions, systemd_unit

__all__ = ["STATE_ROOT", "UnitOptions", "systemd_unit"]
