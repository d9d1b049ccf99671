"""The doctor's PLC hop: for each PLC of the poller config, connect and read once.

A plain TCP connect first tells "nothing listens" from "host unknown" from
"no answer" (pymodbus only says it is not connected); then one read of the
first address the poller watches, through the poller's own driver, proves the
device id and the address answer. All PLCs are probed at the same time, each
bounded by its timeout, so one dead PLC never delays the others' rows.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from dataclasses import dataclass, replace

from ..config import FINS, Plc
from ..errors import PlcRefused, PlcUnreachable
from ..plc.connect import driver_for
from ..plc.driver import Driver
from ..plc.fins import FinsDriver
from ..plc.fins_frames import END_CODES
from ..plc.modbus import exception_name
from ._check import Check

_logger = logging.getLogger(__name__)

HOP = "PLC"
MIN_TIMEOUT = 2.0


@dataclass(frozen=True)
class Probe:
    """What to read from one PLC: its first watched address."""

    name: str
    host: str
    port: int
    device_id: int
    table: str
    address: int
    timeout: float
    plc: Plc

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    @classmethod
    def of(cls, plc: Plc) -> Probe:
        if plc.conditions:
            table, address = plc.conditions[0].table, plc.conditions[0].address
        else:
            assert plc.mailbox is not None  # the config loader guarantees one of them
            table, address = plc.mailbox.area, plc.mailbox.flag
        return cls(
            plc.name,
            plc.host,
            plc.port,
            plc.device_id,
            table,
            address,
            max(plc.timeout, MIN_TIMEOUT),
            plc,
        )

    def driver(self) -> Driver:
        return driver_for(replace(self.plc, timeout=self.timeout, retries=0))


async def _tcp_row(probe: Probe) -> Check | None:
    """None when a TCP connection opens, else the row saying why not."""
    name = f"{probe.name!r} reachable"
    try:
        _, writer = await asyncio.wait_for(
            asyncio.open_connection(probe.host, probe.port), probe.timeout
        )
    except ConnectionRefusedError:
        return Check(
            HOP,
            name,
            False,
            f"nothing listens at {probe.where}",
            "check the PLC (or gateway) is on and its Modbus TCP server enabled, and the "
            f"host/port of [[plc]] {probe.name!r} in the config (502 is Modbus TCP's default)",
        )
    except socket.gaierror:
        return Check(
            HOP,
            name,
            False,
            f"host {probe.host!r} does not resolve",
            f"fix host of [[plc]] {probe.name!r} in the config (or use an IP address)",
        )
    except (asyncio.TimeoutError, TimeoutError):
        return Check(
            HOP,
            name,
            False,
            f"no answer from {probe.where} within {probe.timeout:g} s",
            "check the PLC is powered and on this network (ping it) and no firewall drops "
            "the port",
        )
    except OSError as exc:
        return Check(
            HOP,
            name,
            False,
            f"cannot connect to {probe.where}: {exc.strerror or exc}",
            "check the network route to the PLC",
        )
    writer.close()
    try:
        await writer.wait_closed()
    except OSError:
        pass
    return None


async def _read(driver: Driver, probe: Probe) -> int:
    if probe.table in driver.bit_areas:
        return int((await driver.read_bits(probe.table, probe.address, 1))[0])
    return (await driver.read_words(probe.table, probe.address, 1))[0]


def _fins_fix(probe: Probe, code: int) -> str:
    """What to do about a FINS end code, by its main code (W342 section 5)."""
    key = f"[[plc]] {probe.name!r}"
    main = code >> 8
    if main == 0x11:
        return (
            f"check the area and address of the first condition (or the mailbox) of {key} "
            "against the PLC's memory map (DM 0-32767, CIO 0-6143, W 0-511, H 0-1535, A 0-959)"
        )
    if main == 0x04:
        return f"this PLC does not take FINS memory area reads: check the model of {key}"
    if main in (0x01, 0x02, 0x05):
        return f"check fins_node of {key} and the PLC's FINS routing / node settings"
    if main in (0x20, 0x21, 0x22, 0x26, 0x30):
        return "check the PLC's mode and its protection settings (CX-Programmer / Sysmac Studio)"
    return f"see Omron W342 end code {code:04X}; check the PLC's error log"


async def _fins_probe(probe: Probe) -> Check:
    """One word read over FINS; the row names the node numbers used."""
    name = f"{probe.name!r} reachable"
    plc = probe.plc
    transport = plc.fins_transport.upper()
    if plc.fins_transport == "tcp":
        refused = await _tcp_row(probe)
        if refused is not None:
            return refused
    driver = probe.driver()
    assert isinstance(driver, FinsDriver)
    what = f"{probe.table} {probe.address}"
    started = time.monotonic()
    try:
        value = await asyncio.wait_for(_read(driver, probe), probe.timeout * 2)
    except (PlcUnreachable, asyncio.TimeoutError, TimeoutError) as exc:
        if "does not resolve" in str(exc):
            return Check(
                HOP,
                name,
                False,
                f"host {probe.host!r} does not resolve",
                f"fix host of [[plc]] {probe.name!r} in the config (or use an IP address)",
            )
        return Check(
            HOP,
            name,
            False,
            f"no answer on FINS/{transport} {probe.where} to reading {what} within "
            f"{probe.timeout:g} s ({driver.nodes})",
            f"check the IP address and port of {probe.name!r}, its FINS node (fins_node "
            f"= {driver.node}: the PLC's node number, by default the last octet of its IP) and "
            f"that no firewall drops {transport} {probe.port}",
        )
    except PlcRefused as exc:
        if "FINS/TCP error" in str(exc):  # the handshake was refused
            return Check(HOP, name, False, f"{probe.where}: {exc}", _fins_fix(probe, 0x2000))
        return Check(
            HOP,
            name,
            False,
            f"{probe.where} answered reading {what} with FINS end code {exc.code:04X} "
            f"({END_CODES.get(exc.code, 'unknown end code')})",
            _fins_fix(probe, exc.code),
        )
    finally:
        nodes = driver.nodes
        driver.close()
    elapsed_ms = (time.monotonic() - started) * 1000
    return Check(
        HOP,
        name,
        True,
        f"{probe.where} FINS/{transport} {nodes}: read {what} = {value} " f"in {elapsed_ms:.0f} ms",
    )


async def probe_plc(probe: Probe) -> Check:
    """Connect to one PLC and read one value; never raises."""
    if probe.plc.protocol == FINS:
        return await _fins_probe(probe)
    refused = await _tcp_row(probe)
    if refused is not None:
        return refused
    name = f"{probe.name!r} reachable"
    what = f"{probe.table.replace('_', ' ')} {probe.address} of device id {probe.device_id}"
    driver = probe.driver()
    started = time.monotonic()
    try:
        try:
            await driver.connect()
        except PlcUnreachable:
            return Check(
                HOP,
                name,
                False,
                f"TCP opens at {probe.where} but the Modbus connection does not",
                "check no other program holds the PLC's only Modbus connection",
            )
        shown = await asyncio.wait_for(_read(driver, probe), probe.timeout * 2)
    except (PlcUnreachable, asyncio.TimeoutError, TimeoutError) as exc:
        return Check(
            HOP,
            name,
            False,
            f"connected to {probe.where} but reading {what} got no answer "
            f"({type(exc).__name__})",
            f"check device_id of [[plc]] {probe.name!r} (the unit id the PLC or gateway "
            "expects; 1 or 255 are usual) and that this is a Modbus TCP device",
        )
    except PlcRefused as exc:
        code = exc.code
        if code in (4, 10, 11):
            # Servers and gateways answer an unknown unit id this way.
            fix = (
                f"check device_id of [[plc]] {probe.name!r} (the unit id the PLC or gateway "
                "expects) and that the device behind a gateway is on"
            )
        else:
            fix = (
                f"check the address and table of the first condition of [[plc]] {probe.name!r} "
                "against the PLC's register map (addresses count from 0)"
            )
        return Check(
            HOP,
            name,
            False,
            f"{probe.where} answered reading {what} with Modbus exception {code} "
            f"({exception_name(code)})",
            fix,
        )
    finally:
        driver.close()
    elapsed_ms = (time.monotonic() - started) * 1000
    return Check(
        HOP,
        name,
        True,
        f"{probe.where} read {what} = {shown} in {elapsed_ms:.0f} ms",
    )


async def _probe_all(probes: list[Probe]) -> list[Check]:
    return list(await asyncio.gather(*(probe_plc(p) for p in probes)))


def plc_checks(plcs: tuple[Plc, ...] | list[Plc]) -> list[Check]:
    """One row per PLC, probed concurrently, in the config's order."""
    if not plcs:
        return []
    return asyncio.run(_probe_all([Probe.of(plc) for plc in plcs]))
