"""The poll loops' sleep: it ends after its time, and every sleeper wakes at once on stop.

A PLC in backoff sleeps up to ``backoff_max`` (60 s by default): stopping the
poller must not wait for that.
"""

from __future__ import annotations

import asyncio
import time

from scada_bridge.poller.sleep import sleep as _sleep


def test_a_sleep_lasts_its_time():
    async def scenario():
        stop = asyncio.Event()
        started = time.monotonic()
        await asyncio.wait_for(_sleep(stop, 0.2), 10)
        return time.monotonic() - started

    assert 0.19 <= asyncio.run(scenario()) < 5


def test_stop_wakes_every_sleeper_at_once_and_later_sleeps_return_at_once():
    async def scenario():
        stop = asyncio.Event()
        sleepers = [asyncio.create_task(_sleep(stop, 60)) for _ in range(1000)]
        await asyncio.sleep(0.1)
        assert not any(s.done() for s in sleepers)
        started = time.monotonic()
        stop.set()
        await asyncio.wait_for(asyncio.gather(*sleepers), 10)
        woken = time.monotonic() - started
        await asyncio.wait_for(_sleep(stop, 60), 1)  # already stopped: no sleep at all
        return woken

    assert asyncio.run(scenario()) < 5


def test_sleeps_of_two_pollers_are_stopped_apart():
    async def scenario():
        first, second = asyncio.Event(), asyncio.Event()
        a = asyncio.create_task(_sleep(first, 60))
        b = asyncio.create_task(_sleep(second, 0.3))
        first.set()
        await asyncio.wait_for(a, 5)
        assert not b.done()  # the other poller's sleep goes on
        await asyncio.wait_for(b, 5)

    asyncio.run(scenario())
