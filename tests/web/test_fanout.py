"""The shared live fan-out: every subscriber gets each item, filtered and viewed as it asks;
publishers on other threads never block; a slow subscriber loses its oldest items and is told."""
from __future__ import annotations

import asyncio
import threading
import time

import pytest

from frontdesk.web import Fanout, FanoutFull


def run(coro):
    """Run `coro` on a fresh event loop in a thread of its own: the suite's browser tests keep
    Playwright's loop running in the main thread, where asyncio.run() refuses to start."""
    result: list = []

    def main() -> None:
        try:
            result.append(asyncio.run(asyncio.wait_for(coro, 10)))
        except BaseException as err:  # handed back to the test's thread
            result.append(err)

    thread = threading.Thread(target=main)
    thread.start()
    thread.join(30)
    assert result, "the coroutine did not finish"
    if isinstance(result[0], BaseException):
        raise result[0]
    return result[0]


def test_each_subscriber_gets_each_item_in_order():
    async def main():
        fan: Fanout[int] = Fanout()
        a, b = fan.subscribe(), fan.subscribe()
        fan.publish([1, 2])
        fan.publish([3])
        return (await a.next_batch(1)).items, (await b.next_batch(1)).items, fan.published
    assert run(main()) == ([1, 2, 3], [1, 2, 3], 3)


def test_wants_filters_and_one_view_runs_once_per_item():
    calls = []

    def masked(item: dict) -> dict:
        calls.append(item["n"])
        return {**item, "name": "*"}

    async def main():
        fan: Fanout[dict] = Fanout()
        site_a = fan.subscribe(wants=lambda i: i["site"] == "a")
        guard1, guard2 = fan.subscribe(view=masked), fan.subscribe(view=masked)
        fan.publish([{"n": 1, "site": "a", "name": "Li"}, {"n": 2, "site": "b", "name": "Wang"}])
        return [await s.next_batch(1) for s in (site_a, guard1, guard2)]
    mine, g1, g2 = run(main())
    assert [i["n"] for i in mine.items] == [1] and mine.items[0]["name"] == "Li"
    assert [i["name"] for i in g1.items] == ["*", "*"] and g1.items == g2.items
    assert sorted(calls) == [1, 2]  # two masked subscribers, each item masked once


def test_publishing_from_another_thread_never_blocks_and_a_slow_subscriber_is_told():
    async def main():
        fan: Fanout[int] = Fanout(queue_items=10)
        slow = fan.subscribe()
        started = time.monotonic()
        def produce() -> None:
            for i in range(1000):
                fan.publish([i])
        thread = threading.Thread(target=produce)
        thread.start()
        thread.join()
        elapsed = time.monotonic() - started
        await asyncio.sleep(0.05)  # let the loop run the scheduled offers
        batch = await slow.next_batch(1)
        return elapsed, batch
    elapsed, batch = run(main())
    assert elapsed < 1
    assert batch.items == list(range(990, 1000)) and batch.dropped == 990


def test_heartbeat_close_and_limits():
    async def main():
        fan: Fanout[int] = Fanout(max_subscribers=1)
        sub = fan.subscribe()
        with pytest.raises(FanoutFull):
            fan.subscribe()
        quiet = await sub.next_batch(0.05)  # nothing came: an empty batch, time for a heartbeat
        fan.close()
        await asyncio.sleep(0)
        closed = await sub.next_batch(5)
        late = fan.subscribe()  # after close: closed at once, not counted
        return quiet, closed, late.closed, fan.subscribers
    quiet, closed, late_closed, count = run(main())
    assert (quiet.items, quiet.dropped, quiet.closed) == ([], 0, False)
    assert closed.closed and late_closed and count == 0


def test_a_subscriber_whose_loop_has_gone_is_forgotten():
    fan: Fanout[int] = Fanout()

    async def subscribe():
        return fan.subscribe()
    sub = run(subscribe())  # that loop is closed now
    fan.publish([1])
    assert fan.subscribers == 0 and not sub.items
