"""``--demo``: synthetic residents talk to the real bot through the world, as a visitor would.

Nothing is written to the database behind the bot's back: each step is a person's message or
tap, and the next step waits until the bot has answered, so the demo's conversations, answers
and screenings are the bot's own work.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from functools import partial

from sandbox.feed import ChatFeed, Event
from sandbox.scripts import LI_SHIFU, WANG_FANG, ZHANG_AYI, Step
from sandbox.world import World

log = logging.getLogger(__name__)

DEMO: dict[int, list[Step]] = {7001: ZHANG_AYI, 7003: WANG_FANG, 7002: LI_SHIFU}


class BotDidNotAnswerError(TimeoutError):
    """The bot said nothing in the chat within the time allowed."""


def _bot_acted_in(event: Event | None, chat_id: int) -> bool:
    if event is None:
        return False
    if event["type"] == "message":
        message = event["message"]
        return bool(message["chat_id"] == chat_id and message["from_bot"])
    return bool(event["type"] == "deleted" and event["chat_id"] == chat_id)


async def act(
    feed: ChatFeed,
    chat_id: int,
    action: Callable[[], object],
    *,
    timeout: float = 15.0,  # noqa: ASYNC109
    settle: float = 0.1,
) -> None:
    """Do ``action`` (a person's step), then wait until the bot answered in ``chat_id``.

    "Answered" is the bot's first change in the chat followed by ``settle`` seconds of quiet,
    since one update may make the bot send a notice and then edit its dialog message.
    """
    loop = asyncio.get_running_loop()
    queue = feed.subscribe()
    try:
        action()
        deadline = loop.time() + timeout
        answered = False
        while True:
            wait = settle if answered else deadline - loop.time()
            try:
                event = await asyncio.wait_for(queue.get(), max(wait, 0))
            except TimeoutError:
                if answered:
                    return
                raise BotDidNotAnswerError(f"no answer in chat {chat_id} in {timeout}s") from None
            if event is None:
                raise BotDidNotAnswerError("the sandbox is closing")
            answered = answered or _bot_acted_in(event, chat_id)
    finally:
        feed.unsubscribe(queue)


async def play(
    world: World, feed: ChatFeed, user_id: int, steps: Sequence[Step], *, settle: float = 0.1
) -> None:
    """A resident says and taps ``steps`` in their private chat, waiting for the bot each time."""
    for kind, value in steps:
        action: Callable[[], object]
        if kind == "say":
            action = partial(world.user_sends_text, user_id, value)
        elif kind == "tap":
            action = partial(world.user_presses, user_id, user_id, value)
        else:
            raise ValueError(f"unknown step {kind!r}: use 'say' or 'tap'")
        await act(feed, user_id, action, settle=settle)


async def run_demo(world: World, feed: ChatFeed, *, settle: float = 0.2) -> None:
    """Play every demo resident at once (their chats are independent); log, never raise."""
    residents = list(DEMO.items())
    results = await asyncio.gather(
        *(play(world, feed, user_id, steps, settle=settle) for user_id, steps in residents),
        return_exceptions=True,
    )
    for (user_id, _), result in zip(residents, results, strict=True):
        if isinstance(result, BaseException):
            log.warning("demo resident %s stopped early: %s", user_id, result)
    log.info("demo residents are ready")
