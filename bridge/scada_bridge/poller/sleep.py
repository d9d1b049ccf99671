"""The poll loops' sleep: until a time, or at once when the poller is told to stop."""

from __future__ import annotations

import asyncio
import weakref

#: Who sleeps until each stop event, woken together when it is set (see :func:`sleep`).
_sleepers: weakref.WeakKeyDictionary[asyncio.Event, set[asyncio.Future[None]]] = (
    weakref.WeakKeyDictionary()
)


async def sleep(stop: asyncio.Event, seconds: float) -> None:
    """Sleep, but wake at once when the poller is told to stop.

    Every PLC sleeps once a poll: one future and one timer each, and one task per
    ``stop`` that wakes them all. ``asyncio.wait_for(stop.wait(), ...)`` made a
    task, a waiter and a cancellation per sleep: a sixth of the poller's CPU at
    100 words a PLC once unchanged reads cost nothing (issue 23).
    """
    if seconds <= 0 or stop.is_set():
        return
    loop = asyncio.get_running_loop()
    sleepers = _sleepers.get(stop)
    if sleepers is None:
        sleepers = _sleepers[stop] = set()
        loop.create_task(_wake_on(stop, sleepers), name="plc loops: wake on stop")
    waiter: asyncio.Future[None] = loop.create_future()
    timer = loop.call_later(seconds, _wake, waiter)
    sleepers.add(waiter)
    try:
        await waiter
    finally:
        timer.cancel()
        sleepers.discard(waiter)


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


async def _wake_on(stop: asyncio.Event, sleepers: set[asyncio.Future[None]]) -> None:
    await stop.wait()
    for waiter in list(sleepers):
        _wake(waiter)
