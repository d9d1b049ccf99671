"""``scada-bridge simulate``: PLCs for a poller configuration, served on 127.0.0.1 or
any interface, with scripted scenarios, for tests, demos and commissioning; and for
the event sources, an OPC UA alarm server (:mod:`.opcua`) and MQTT scenarios
(:mod:`.sources`).

Imports ``plc``, ``config``, ``errors`` (and asyncua, paho-mqtt); never ``store``,
``poller``, ``doctor`` or ``cli``.
"""

from .scenario import Scenario, load_scenario, play, serve
from .server import Simulator

__all__ = ["Scenario", "Simulator", "load_scenario", "play", "serve"]
