"""What every handler of one sandbox server shares: the fake Telegram, the cast, the page's
feed, and whether a bot is polling. Apart from the server and the page so that both can use it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

from sandbox.botapi import BotApiState
from sandbox.feed import ChatFeed
from sandbox.personas import Cast

# How long without a getUpdates call before the page says the bot is not running: PTB asks
# again within milliseconds of an answer, so a few seconds of silence means it stopped.
BOT_SILENCE_SECONDS = 3.0


class PollWatch:
    """Whether a bot is polling for updates; reports each change (for the page's banner)."""

    def __init__(self, on_change: Callable[[bool], None]) -> None:
        self.online = False
        self._active = 0
        self._on_change = on_change
        self._silence: asyncio.TimerHandle | None = None
        self._polling = asyncio.Event()

    def started(self) -> None:
        self._active += 1
        if self._silence is not None:
            self._silence.cancel()
            self._silence = None
        self._set(True)

    def ended(self) -> None:
        self._active -= 1
        if self._active == 0:
            loop = asyncio.get_running_loop()
            self._silence = loop.call_later(BOT_SILENCE_SECONDS, self._check)

    def _check(self) -> None:
        self._silence = None
        if self._active == 0:
            self._set(False)

    def _set(self, online: bool) -> None:
        if online != self.online:
            self.online = online
            if online:
                self._polling.set()
            else:
                self._polling.clear()
            self._on_change(online)

    async def wait_online(self, timeout: float) -> bool:  # noqa: ASYNC109
        """Wait until a bot polls (or ``timeout`` passes); returns whether one does."""
        try:
            async with asyncio.timeout(timeout):
                await self._polling.wait()
        except TimeoutError:
            return False
        return True


@dataclass
class SandboxState:
    """What every handler of one sandbox server shares."""

    world: BotApiState
    cast: Cast
    feed: ChatFeed
    closing: asyncio.Event = field(default_factory=asyncio.Event)
    # A new id per server start: a page that reconnects to a restarted sandbox reloads.
    epoch: str = field(default_factory=lambda: uuid.uuid4().hex)
    polls: PollWatch = field(init=False)

    def __post_init__(self) -> None:
        self.polls = PollWatch(lambda online: self.feed.publish({"type": "bot", "online": online}))


STATE = web.AppKey("sandbox", SandboxState)
