"""The wait of a getUpdates long poll, shared by both faces of the sandbox."""

from __future__ import annotations

import asyncio
import contextlib

from sandbox.world import World


async def wait_for_updates(world: World, timeout: float, offset: int | None = None) -> bool:  # noqa: ASYNC109
    """Sleep until getUpdates(offset) has something or ``timeout`` seconds pass; never polls.

    Returns whether updates are waiting. Safe when updates are enqueued from another thread.
    """
    loop = asyncio.get_running_loop()
    woken = asyncio.Event()

    def on_update() -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed after the wait ended
            loop.call_soon_threadsafe(woken.set)

    unsubscribe = world.subscribe(on_update)
    try:
        deadline = loop.time() + timeout
        while not world.has_updates(offset):
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            woken.clear()
            try:
                async with asyncio.timeout(remaining):
                    await woken.wait()
            except TimeoutError:
                return world.has_updates(offset)
        return True
    finally:
        unsubscribe()
