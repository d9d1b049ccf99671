"""The PLC poller service: one async loop per PLC (:mod:`.plc_loop`), one ordered
writer (:mod:`.writer`) into the SCADA database (:mod:`.sink`), the durable local
spool (:mod:`.spool`), and the optional "pull now" doorbell to Odoo (:mod:`.doorbell`).

Imports ``plc``, ``store``, ``sources`` (OPC UA, MQTT), ``config``, ``events``, ``errors``;
never ``doctor``, ``simulator`` or ``cli``.
"""

from .service import Poller

__all__ = ["Poller"]
