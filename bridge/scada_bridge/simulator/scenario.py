"""``scada-bridge simulate``: scenario files, read and checked against the configuration,
played against a running :class:`~.server.Simulator`; and :func:`serve`, which runs both.

A scenario file (``--scenario``) makes a demo move by itself::

    repeat = true
    [[step]]
    action = "raise"          # raise | clear | mailbox | wait
    plc = "line1"
    equipment = "silo101"
    failure_code = "START_FAILURE"
    [[step]]
    action = "wait"
    seconds = 5
"""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import dataclass
from pathlib import Path

import tomllib

from ..config import FINS, Config, Span
from ..config.tables import Table
from ..errors import ConfigError
from .server import Simulator

_logger = logging.getLogger(__name__)

ACTIONS = ("raise", "clear", "mailbox", "wait")


@dataclass(frozen=True)
class Step:
    action: str
    plc: str = ""
    equipment: str = ""
    failure_code: str = ""
    text: str = ""
    seconds: float = 0.0


@dataclass(frozen=True)
class Scenario:
    steps: tuple[Step, ...]
    repeat: bool = False


def load_scenario(path: str | Path, config: Config) -> Scenario:
    """Read and check a scenario file against the configuration."""
    file = str(path)
    try:
        data = tomllib.loads(Path(path).read_text("utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{file}: scenario file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: cannot read scenario file: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from None
    top = Table(file, "", data)
    top.only("repeat", "step")
    repeat = top.data.get("repeat", False)
    if not isinstance(repeat, bool):
        top.fail("repeat", "must be true or false")
    steps = []
    for t in top.tables("step"):
        action = t.choice("action", ACTIONS)
        if action == "wait":
            t.only("action", "seconds")
            steps.append(Step("wait", seconds=t.number("seconds", None, 0, 86400)))
            continue
        plc_name = t.text("plc", required=True)
        try:
            plc = config.plc(plc_name)
        except KeyError:
            t.fail("plc", f"no PLC named {plc_name!r} in {config.path}")
        if action == "mailbox":
            t.only("action", "plc", "equipment", "text", "failure_code")
            box = plc.mailbox
            if box is None:
                t.fail("plc", f"PLC {plc_name!r} has no [plc.mailbox] in {config.path}")
            assert box is not None
            reads_code = isinstance(box.failure_code, Span)
            if t.has("failure_code") and not reads_code:
                t.fail("failure_code", f"the mailbox of PLC {plc_name!r} has a fixed failure code")
            if t.has("text") and box.text is None:
                t.fail("text", f"the mailbox of PLC {plc_name!r} has no text")
            steps.append(
                Step(
                    "mailbox",
                    plc_name,
                    t.text("equipment", required=True),
                    failure_code=t.text("failure_code", "", required=reads_code),
                    text=t.text("text", "", required=box.text is not None),
                )
            )
            continue
        t.only("action", "plc", "equipment", "failure_code")
        equipment = t.text("equipment", required=True)
        code = t.text("failure_code", required=True)
        if not any(c.key == (equipment, code) for c in plc.conditions):
            t.fail("failure_code", f"PLC {plc_name!r} has no condition {equipment}/{code}")
        steps.append(Step(action, plc_name, equipment, code))
    if not steps:
        top.fail("step", "no steps: add [[step]] tables")
    if repeat and not any(s.action == "wait" and s.seconds > 0 for s in steps):
        top.fail("repeat", "a repeating scenario needs a wait step with seconds > 0")
    return Scenario(tuple(steps), repeat)


async def play(sim: Simulator, scenario: Scenario, stop: asyncio.Event) -> None:
    while not stop.is_set():
        for step in scenario.steps:
            if stop.is_set():
                return
            if step.action == "wait":
                try:
                    await asyncio.wait_for(stop.wait(), step.seconds)
                except asyncio.TimeoutError:
                    pass
            elif step.action == "mailbox":
                await sim.post_mailbox(
                    step.plc, step.equipment, step.text, failure_code=step.failure_code
                )
                _logger.info(
                    "scenario: mailbox record %s %s %r on %s",
                    step.equipment,
                    step.failure_code,
                    step.text,
                    step.plc,
                )
            else:
                await sim.set_condition(
                    step.plc, step.equipment, step.failure_code, step.action == "raise"
                )
                _logger.info(
                    "scenario: %s %s/%s on %s",
                    step.action,
                    step.equipment,
                    step.failure_code,
                    step.plc,
                )
        if not scenario.repeat:
            return


async def serve(
    config: Config,
    *,
    host: str = "127.0.0.1",
    scenario: Scenario | None = None,
    delay: float = 0.0,
) -> int:
    """Run the simulator until SIGTERM/SIGINT; play the scenario meanwhile."""
    sim = Simulator(config, host=host, delay=delay)
    await sim.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    for plc in config.plcs:
        if plc.protocol == FINS:
            print(
                f"PLC {plc.name!r} FINS node {plc.fins_node} on {host}:{plc.port} UDP and TCP",
                flush=True,
            )
            continue
        print(
            f"PLC {plc.name!r} device id {plc.device_id} on {host}:{plc.port}",
            flush=True,
        )
    player = asyncio.create_task(play(sim, scenario, stop)) if scenario else None
    try:
        await stop.wait()
    finally:
        if player:
            player.cancel()
        await sim.stop()
    return 0
