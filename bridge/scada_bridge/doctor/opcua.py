# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""The doctor's OPC UA hop: for each ``[[opcua]]`` source, reachable, security, alarms seen.

Three rows per source, one line each with the fix: the session opens (with the
configured security and user, so a refused certificate or policy says so); the
server offers the configured security mode and policy; the alarm subscription and
a ConditionRefresh answer (how many active alarms the server lists). It reads
only, like the poller: nothing is acknowledged.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from asyncua import Client, ua

from ..config.sources import OpcUaSource
from ..sources.opcua import POLICIES, OpcUaEventSource, explain
from ._check import Check

HOP = "OPC UA"
#: Seconds the doctor waits for the ConditionRefresh's end.
REFRESH_WAIT = 3.0


class _Listener:
    def __init__(self) -> None:
        self.active = 0
        self.ended = asyncio.Event()

    async def event_notification(self, event: Any) -> None:
        etype = getattr(getattr(event, "EventType", None), "Identifier", None)
        if etype == ua.ObjectIds.RefreshEndEventType:
            self.ended.set()
        elif getattr(event, "ActiveState/Id", None) is True:
            self.active += 1


async def _security_row(cfg: OpcUaSource) -> Check:
    name = f"{cfg.name!r} security"
    try:
        probe = Client(cfg.endpoint, timeout=cfg.timeout)
        endpoints = await asyncio.wait_for(
            probe.connect_and_get_server_endpoints(), cfg.timeout * 2
        )
    except Exception as exc:  # reported by the reachable row
        return Check(HOP, name, False, f"cannot list the endpoints: {explain(exc)[1]}")

    def mode(e: Any) -> str:
        return ua.MessageSecurityMode(e.SecurityMode).name.rstrip("_")  # asyncua says None_

    offered = sorted({f"{mode(e)}/{e.SecurityPolicyUri.rsplit('#')[-1]}" for e in endpoints})
    want_mode = cfg.security
    want = POLICIES[cfg.policy].URI if cfg.security != "None" else ua.SecurityPolicyType.NoSecurity
    ok = any(
        mode(e) == want_mode and (cfg.security == "None" or e.SecurityPolicyUri == want)
        for e in endpoints
    )
    label = want_mode if cfg.security == "None" else f"{want_mode}/{cfg.policy}"
    if ok:
        return Check(HOP, name, True, f"{label} offered (server offers {', '.join(offered)})")
    return Check(
        HOP,
        name,
        False,
        f"{label} is not offered by {cfg.endpoint} (it offers {', '.join(offered)})",
        f"set security and policy of [[opcua]] {cfg.name!r} to one of those",
    )


async def _probe(cfg: OpcUaSource) -> list[Check]:
    source = OpcUaEventSource(cfg, lambda events, durable=False: None, {})
    reach = f"{cfg.name!r} reachable"
    try:
        client = await source._client()
        await asyncio.wait_for(client.connect(), cfg.timeout * 2)
    except Exception as exc:  # every refusal is one row
        state, line = explain(exc)
        head, _, fix = line.partition(": ")
        return [
            Check(HOP, reach, False, f"{cfg.endpoint}: {head}", fix or "check the endpoint"),
            await _security_row(cfg),
        ]
    rows = [Check(HOP, reach, True, f"{cfg.endpoint}: session open ({cfg.security})")]
    try:
        rows.append(await _security_row(cfg))
        if not cfg.alarms:
            rows.append(
                Check(HOP, f"{cfg.name!r} alarms", True, "alarms = false: tags only", skipped=True)
            )
            return rows
        listener = _Listener()
        try:
            sub = await client.create_subscription(100, listener)
            await source._alarms(client, sub)
            await asyncio.wait_for(listener.ended.wait(), REFRESH_WAIT)
        except Exception as exc:  # the server's answer is the row
            rows.append(
                Check(
                    HOP,
                    f"{cfg.name!r} alarms",
                    False,
                    f"no alarm subscription or ConditionRefresh: {explain(exc)[1]}",
                    "the server must offer Alarms & Conditions on its notifiers (check "
                    "notifiers), or set alarms = false and watch tags with [[opcua.tag]]",
                )
            )
        else:
            rows.append(
                Check(
                    HOP,
                    f"{cfg.name!r} alarms",
                    True,
                    f"subscribed; ConditionRefresh lists {listener.active} active alarm(s)",
                )
            )
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.disconnect(), cfg.timeout)
    return rows


def opcua_checks(sources: tuple[OpcUaSource, ...]) -> list[Check]:
    """Rows for every OPC UA source, probed concurrently, in the config's order."""
    if not sources:
        return []

    async def all_of() -> list[Check]:
        found = await asyncio.gather(*(_probe(cfg) for cfg in sources))
        return [row for rows in found for row in rows]

    return asyncio.run(all_of())
