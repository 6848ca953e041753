"""Fanout: every subscriber gets every later item, in order; close ends them all."""

from __future__ import annotations

from rigtui.fanout import Fanout


async def test_each_subscriber_gets_later_items_in_order_until_close() -> None:
    fanout: Fanout[int] = Fanout()
    fanout.publish(0)  # nobody is listening yet: not delivered
    first, second = fanout.subscribe(), fanout.subscribe()
    for n in (1, 2, 3):
        fanout.publish(n)
    fanout.close()
    assert [n async for n in first] == [1, 2, 3]
    assert [n async for n in second] == [1, 2, 3]
