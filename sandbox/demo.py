"""``--demo``: synthetic residents talk to the real bot through the world, as a visitor would.

Nothing is written to the database behind the bot's back: each step is a person's message or
tap, and the next step waits until the bot has answered, so the demo's conversations, answers
and screenings are the bot's own work.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from functools import partial

from sandbox.feed import ChatFeed, Event
from sandbox.scripts import LI_SHIFU, WANG_FANG, ZHANG_AYI, Step, application
from sandbox.world import World

log = logging.getLogger(__name__)

# 张阿姨 applies and the window and the district civil affairs bureau take it on; Wang Fang
# applies and her application waits at the window; 李师傅 stops halfway through his screening.
ZHANG_APPLIES = application("张桂兰", "500381195003010227", "13823456789", "黄荆村")
WANG_APPLIES = application("Wang Fang", "500116198803150020", "13987654321", "Xinglong", "en")
DEMO: dict[int, list[Step]] = {
    7001: [*ZHANG_AYI, *ZHANG_APPLIES],
    7003: [*WANG_FANG, *WANG_APPLIES],
    7002: LI_SHIFU,
}


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
        if kind == "skip":
            # Tap this button for as long as the bot keeps offering it (each document in turn).
            while _offered(world, user_id, value):
                await act(
                    feed,
                    user_id,
                    partial(world.user_presses, user_id, user_id, value),
                    settle=settle,
                )
            continue
        if kind == "say":
            action = partial(world.user_sends_text, user_id, value)
        elif kind == "tap":
            action = partial(world.user_presses, user_id, user_id, value)
        else:
            raise ValueError(f"unknown step {kind!r}: use 'say' or 'tap'")
        await act(feed, user_id, action, settle=settle)


def _offered(world: World, chat_id: int, label: str) -> bool:
    message = world.last_bot_message(chat_id)
    return message is not None and label in message.button_texts


async def run_demo(
    world: World, feed: ChatFeed, staff: Mapping[str, tuple[int, int]], *, settle: float = 0.2
) -> None:
    """Play every demo resident at once (their chats are independent), then the staff's part.

    ``staff`` maps "window" and department ids to (user id, chat id). Logs, never raises.
    """
    residents = list(DEMO.items())
    results = await asyncio.gather(
        *(play(world, feed, user_id, steps, settle=settle) for user_id, steps in residents),
        return_exceptions=True,
    )
    for (user_id, _), result in zip(residents, results, strict=True):
        if isinstance(result, BaseException):
            log.warning("demo resident %s stopped early: %s", user_id, result)
    try:
        await _staff_take_on(world, feed, staff, settle=settle)
    except (BotDidNotAnswerError, LookupError) as problem:
        log.warning("demo staff stopped early: %s", problem)
    log.info("demo residents are ready")


async def _staff_take_on(
    world: World, feed: ChatFeed, staff: Mapping[str, tuple[int, int]], *, settle: float
) -> None:
    """The window accepts 张阿姨's application; civil affairs takes on her 低保 task."""
    await _press_on(world, feed, staff["window"], "张**", "✅ 受理并转办", settle=settle)
    civil_affairs = staff["civil_affairs"]
    await _press_on(world, feed, civil_affairs, "最低生活保障", "✅ 接收办理", settle=settle)


async def _press_on(
    world: World,
    feed: ChatFeed,
    member: tuple[int, int],
    text: str,
    button: str,
    *,
    settle: float,
) -> None:
    """The staff ``member`` (user, chat) presses ``button`` on the newest message showing
    ``text`` in their chat."""
    user_id, chat_id = member
    message_id = await _message_with(world, chat_id, text, button)
    await act(
        feed,
        chat_id,
        partial(world.user_presses, user_id, chat_id, button, message_id),
        settle=settle,
    )


async def _message_with(
    world: World,
    chat_id: int,
    text: str,
    button: str,
    timeout: float = 15.0,  # noqa: ASYNC109
) -> int:
    """The newest bot message in ``chat_id`` showing ``text`` and ``button`` (sent by the outbox
    dispatcher, so it may take a moment to arrive)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        for message in reversed(world.chat_messages(chat_id)):
            if message.from_bot and text in (message.text or "") and button in message.button_texts:
                return message.message_id
        await asyncio.sleep(0.1)
    raise LookupError(f"no message with {text!r} and {button!r} in chat {chat_id}")
