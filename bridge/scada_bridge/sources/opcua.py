# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""An OPC UA server as an event source: Alarms & Conditions, ConditionRefresh at every connect.

One session per ``[[opcua]]`` table (asyncua): subscribe to the events of the
notifier nodes (default the Server object) for ``AlarmConditionType`` and its
subtypes, then call ``ConditionRefresh`` so the failures the SCADA database holds
are reconciled with what the server says now (:mod:`.opcua_alarms`). A lost
connection is retried with backoff, each time with a new session and a new
refresh. The poller never acknowledges or confirms an alarm: it only reads.

Nothing is acknowledged upstream, so events go to the writer without waiting
(like the register conditions); a crash before they are stored is made good
by the event history read at the next start (where the server keeps one), then
the refresh (a condition still active is raised with its own time; one that
ended meanwhile is cleared at the refresh time).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from asyncua import Client, ua
from asyncua.crypto import security_policies

from ..config.sources import OpcUaSource
from ..store.plc_status import ERROR, UNREACHABLE, PlcStatus
from .base import ActiveKey, Conditions, Submit
from .opcua_alarms import AlarmMapper
from .opcua_tags import TagWatcher

_logger = logging.getLogger(__name__)

#: Events the server may queue for one notifier between two publishes.
EVENT_QUEUE = 10_000
#: How far past the poller's clock the event history is read (server clocks drift).
HISTORY_SKEW = timedelta(hours=1)

POLICIES: dict[str, Any] = {
    "Basic256Sha256": security_policies.SecurityPolicyBasic256Sha256,
    "Aes128_Sha256_RsaOaep": security_policies.SecurityPolicyAes128Sha256RsaOaep,
    "Aes256_Sha256_RsaPss": security_policies.SecurityPolicyAes256Sha256RsaPss,
}
_MODES = {
    "Sign": ua.MessageSecurityMode.Sign,
    "SignAndEncrypt": ua.MessageSecurityMode.SignAndEncrypt,
}

#: Status codes a person fixes on the server or in the file, with the fix.
_FIXES = {
    "BadSecurityPolicyRejected": "the server does not offer this security policy/mode: set "
    "[[opcua]] security and policy to one its endpoints list (scada-bridge doctor shows them)",
    "BadCertificateUntrusted": "the server does not trust the poller's certificate: trust it in "
    "the server's certificate manager (often under 'rejected'), then it reconnects by itself",
    "BadSecurityChecksFailed": "the server refused the poller's certificate: trust it on the "
    "server, and check the certificate's application URI and validity dates",
    "BadCertificateInvalid": "the certificate file is not a valid X.509 certificate for OPC UA",
    "BadIdentityTokenRejected": "the server refuses this kind of login: set username and "
    "password_env (or remove them for anonymous)",
    "BadIdentityTokenInvalid": "the server refuses this kind of login: set username and "
    "password_env (or remove them for anonymous)",
    "BadUserAccessDenied": "wrong user name or password, or the user may not browse events",
}


def explain(exc: BaseException) -> tuple[str, str]:
    """(state, one line: what failed and the fix) for a connection error."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    for code, fix in _FIXES.items():
        if code in text or code in type(exc).__name__:
            return ERROR, f"{code}: {fix}"
    if "No matching endpoints" in text:  # asyncua: the server lacks the mode/policy asked
        return ERROR, (
            "no endpoint with this security: set [[opcua]] security and policy to one the "
            "server offers (scada-bridge doctor lists them)"
        )
    if isinstance(exc, ConnectionRefusedError):
        return UNREACHABLE, "connection refused: is the OPC UA server running on that port?"
    if isinstance(exc, asyncio.TimeoutError | TimeoutError):
        return UNREACHABLE, "no answer within the timeout"
    if isinstance(exc, OSError | ConnectionError):
        return UNREACHABLE, text
    return ERROR, f"{type(exc).__name__}: {text}"


class OpcUaEventSource:
    """One ``[[opcua]]`` source: its session, its subscription, its status and its failures."""

    def __init__(
        self,
        cfg: OpcUaSource,
        submit: Submit,
        active: Mapping[ActiveKey, str],
        *,
        backoff_initial: float = 1.0,
        backoff_max: float = 60.0,
        state_dir: Path | None = None,
    ) -> None:
        self.cfg = cfg
        self.submit = submit
        host = cfg.endpoint.split("//", 1)[-1].rsplit(":", 1)
        self.status = PlcStatus(cfg.name, host[0], int(host[1]) if len(host) > 1 else 4840)
        self.conditions = Conditions(cfg.name, active)
        self.mapper = AlarmMapper(cfg, self.conditions)
        self.tags = TagWatcher(cfg, self.conditions, self._emit)
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        #: Set while a session is up and its first ConditionRefresh has ended.
        self.connected = asyncio.Event()
        self._lost: asyncio.Event | None = None
        #: Time of the last event seen, kept in the state directory: where the event
        #: history read after a gap starts (earlier is safe: a repeat is a duplicate).
        self._seen_path = state_dir / f"opcua-{cfg.name}.json" if state_dir else None
        self.seen: datetime | None = self._load_seen()
        self._seen_saved = 0.0
        self._no_history_said = False
        self._refreshes_before = 0

    @property
    def name(self) -> str:
        return self.cfg.name

    @property
    def statuses(self) -> list[PlcStatus]:
        return [self.status]

    # -- asyncua's subscription handler ----------------------------------------

    def _load_seen(self) -> datetime | None:
        if self._seen_path is None or not self._seen_path.exists():
            return None
        try:
            return datetime.fromisoformat(json.loads(self._seen_path.read_text("utf-8"))["seen"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _save_seen(self, force: bool = False) -> None:
        if self._seen_path is None or self.seen is None:
            return
        if not force and time.monotonic() - self._seen_saved < 1.0:
            return
        self._seen_saved = time.monotonic()
        try:
            self._seen_path.write_text(json.dumps({"seen": self.seen.isoformat()}), "utf-8")
        except OSError as exc:
            _logger.debug("cannot save %s: %s", self._seen_path, exc)

    def event_notification(self, event: Any) -> None:
        # Plain functions on purpose: asyncua runs each notification's handler in a task of
        # its own, and tasks that never await run in creation order, so events keep theirs.
        when = getattr(event, "Time", None)
        if isinstance(when, datetime) and getattr(event, "NodeId", None) is not None:
            when = when if when.tzinfo else when.replace(tzinfo=timezone.utc)
            self.seen = max(self.seen, when) if self.seen else when
            self._save_seen()
        try:
            events = self.mapper.handle(event)
        except Exception:  # one odd notification must not stop the source
            _logger.exception("%s: cannot read an event notification", self.cfg.where)
            return
        if events:
            self.submit(events)
        if self.mapper.refreshes > self._refreshes_before and not self.connected.is_set():
            self.connected.set()  # this session's first ConditionRefresh has ended

    def _emit(self, events: list[Any]) -> None:
        self.submit(events)

    def datachange_notification(self, node: Any, value: Any, data: Any) -> None:
        try:
            when = data.monitored_item.Value.SourceTimestamp
        except AttributeError:
            when = None
        try:
            self.tags.change(node.nodeid.to_string(), value, when)
        except Exception:  # one odd notification must not stop the source
            _logger.exception("%s: cannot read a data change", self.cfg.where)

    def status_change_notification(self, status: Any) -> None:
        if self._lost is not None:
            self._lost.set()

    # -- the session --------------------------------------------------------------

    async def _client(self) -> Client:
        cfg = self.cfg
        client = Client(cfg.endpoint, timeout=cfg.timeout, watchdog_intervall=max(1.0, cfg.timeout))
        client.name = client.description = "scada-bridge poll"
        if cfg.security != "None":
            await client.set_security(
                POLICIES[cfg.policy],
                certificate=cfg.certificate or "",
                private_key=cfg.private_key or "",
                server_certificate=cfg.server_certificate,
                mode=_MODES[cfg.security],
            )
        if cfg.username:
            client.set_user(cfg.username)
            client.set_password(cfg.password)
        return client

    async def _session(self, stop: asyncio.Event) -> None:
        lost = self._lost = asyncio.Event()
        self._refreshes_before = self.mapper.refreshes
        client = await self._client()

        async def on_lost(_exc: Exception) -> None:
            lost.set()

        client.connection_lost_callback = on_lost
        await client.connect()
        try:
            failures = self.status.consecutive_failures
            self.status.success()
            sub = await client.create_subscription(100, self)
            if self.cfg.tags:
                nodes = [client.get_node(tag.node) for tag in self.cfg.tags]
                self.tags.by_node = {
                    n.nodeid.to_string(): tag for n, tag in zip(nodes, self.cfg.tags, strict=True)
                }
                await sub.subscribe_data_change(nodes)
            if self.cfg.alarms:
                await self._history(client)
                await self._alarms(client, sub)
            else:
                self.connected.set()
            _logger.info(
                "%s: connected%s; subscribed to %s",
                self.cfg.where,
                f" again after {failures} failure(s)" if failures else "",
                " and ".join(
                    (["the alarms of " + ", ".join(self.cfg.notifiers)] if self.cfg.alarms else [])
                    + ([f"{len(self.cfg.tags)} tag(s)"] if self.cfg.tags else [])
                ),
            )
            waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(lost.wait())]
            try:
                await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for w in waits:
                    w.cancel()
            if lost.is_set() and not stop.is_set():
                raise ConnectionError("connection to the server lost")
        finally:
            self.connected.clear()
            self._save_seen(force=True)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.disconnect(), self.cfg.timeout)

    async def _history(self, client: Client) -> None:
        """The alarm transitions since the last event seen, from the server's event history.

        Read before subscribing, so they come before any live event; what happened
        between the history's end and the subscription is the refresh's to reconcile.
        """
        if self.seen is None:
            return
        now = datetime.now(timezone.utc)
        # Up to a little past our clock: a server whose clock runs ahead stamps its
        # latest events "in the future"; a repeat is a duplicate, a miss is a loss.
        until = now + HISTORY_SKEW
        found: list[Any] = []
        for notifier in self.cfg.notifiers:
            try:
                found += await client.get_node(notifier).read_event_history(
                    self.seen, until, 0, [ua.ObjectIds.AlarmConditionType]
                )
            except Exception as exc:  # no history on this server: the refresh still reconciles
                if not self._no_history_said:
                    self._no_history_said = True
                    _logger.info(
                        "%s keeps no event history for %s (%s): transitions during a gap "
                        "are reconciled by ConditionRefresh only",
                        self.cfg.where,
                        notifier,
                        explain(exc)[1],
                    )
                return
        found.sort(key=lambda e: getattr(e, "Time", None) or now)
        for event in found:
            self.event_notification(event)
        if found:
            _logger.info(
                "%s: %d alarm event(s) read from the server's history since %s",
                self.cfg.where,
                len(found),
                self.seen.isoformat(),
            )

    async def _alarms(self, client: Client, sub: Any) -> None:
        """Subscribe to the notifiers' alarm events, then ask for a ConditionRefresh."""
        types = [
            ua.ObjectIds.AlarmConditionType,
            ua.ObjectIds.RefreshStartEventType,
            ua.ObjectIds.RefreshEndEventType,
        ]
        for notifier in self.cfg.notifiers:
            # A deep server-side queue: a burst of transitions between two publishes is
            # queued, not overwritten (the server may revise it down).
            await sub.subscribe_events(client.get_node(notifier), types, queuesize=EVENT_QUEUE)
        await client.get_node(ua.ObjectIds.ConditionType).call_method(
            ua.NodeId.from_string(f"i={ua.ObjectIds.ConditionType_ConditionRefresh}"),
            ua.Variant(sub.subscription_id, ua.VariantType.UInt32),
        )

    async def run(self, stop: asyncio.Event) -> None:
        delay = self.backoff_initial
        while not stop.is_set():
            try:
                await self._session(stop)
                delay = self.backoff_initial
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # every failure of a session: say it once, retry
                state, line = explain(exc)
                if self.status.failure(state, line):
                    _logger.warning(
                        "%s is %s: %s; retrying with backoff up to %g s",
                        self.cfg.where,
                        state,
                        line,
                        self.backoff_max,
                    )
                else:
                    _logger.debug("%s still %s: %s", self.cfg.where, state, line)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            delay = min(delay * 2, self.backoff_max)
