"""Helpers for Pilot-driven tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any


async def settle_until(pilot: Any, condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Let the app process messages until `condition` holds (for effects of workers, which
    have no event the test can await); fails after `timeout` seconds."""
    async with asyncio.timeout(timeout):
        while not condition():
            await pilot.pause()
