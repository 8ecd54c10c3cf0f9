"""The messenger redraws a message in place: an unchanged text is no failure, and a message
that can no longer be edited is either reported (``edit``) or sent anew (``show``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import cast

import pytest
from telegram import Bot, CallbackQuery
from telegram.error import BadRequest

from bot.delivery.messenger import Messenger
from bot.render import RenderedScreen
from sandbox.botapi import BotApiState
from sandbox.request import FakeRequest

LI = 42
FIRST, SECOND = RenderedScreen("第一步", None), RenderedScreen("第二步", None)


@pytest.fixture
async def messenger() -> AsyncIterator[tuple[Messenger, BotApiState]]:
    state = BotApiState()
    state.add_user(LI, "Li")
    state.user_sends_text(LI, "/start")  # Li has opened the private chat
    bot = Bot(token="123:ABC", request=FakeRequest(state))
    await bot.initialize()
    yield Messenger(bot), state
    await bot.shutdown()


def _texts(state: BotApiState) -> list[str]:
    return [m.text or "" for m in state.chat_messages(LI) if m.from_bot]


async def test_edit_redraws_and_an_unchanged_text_is_no_failure(
    messenger: tuple[Messenger, BotApiState],
) -> None:
    sender, state = messenger
    sent = await sender.send(LI, FIRST)
    assert await sender.edit(LI, sent.message_id, SECOND)
    assert await sender.edit(LI, sent.message_id, SECOND)  # Telegram: "not modified"
    assert _texts(state) == ["第二步"]


async def test_edit_of_a_message_that_is_gone_says_so(
    messenger: tuple[Messenger, BotApiState],
) -> None:
    sender, state = messenger
    sent = await sender.send(LI, FIRST)
    await sender.bot.delete_message(LI, sent.message_id)
    assert not await sender.edit(LI, sent.message_id, SECOND)
    assert _texts(state) == []


async def test_show_edits_in_place_or_sends_anew(messenger: tuple[Messenger, BotApiState]) -> None:
    sender, state = messenger
    first = await sender.show(LI, FIRST, edit=None)
    assert first is not None
    assert await sender.show(LI, SECOND, edit=first) is None
    assert await sender.show(LI, SECOND, edit=first) is None  # unchanged: nothing new sent
    assert _texts(state) == ["第二步"]
    await sender.bot.delete_message(LI, first)
    again = await sender.show(LI, FIRST, edit=first)
    assert again is not None and again != first
    assert _texts(state) == ["第一步"]


class Press:
    """A button press as the messenger answers it (only ``answer`` is used)."""

    def __init__(self, *, too_old: bool = False) -> None:
        self.too_old = too_old
        self.answers: list[tuple[str | None, bool]] = []

    async def answer(self, text: str | None = None, show_alert: bool = False) -> bool:
        if self.too_old:
            raise BadRequest("Query is too old and response timeout expired or query id is invalid")
        self.answers.append((text, show_alert))
        return True


async def test_a_press_is_answered_with_a_toast_telegram_can_show() -> None:
    press = Press()
    await Messenger(Bot("1:x")).answer(cast(CallbackQuery, press), "长" * 300, alert=True)
    assert press.answers == [("长" * 200, True)]


async def test_a_press_answered_too_late_is_no_failure() -> None:
    await Messenger(Bot("1:x")).answer(cast(CallbackQuery, Press(too_old=True)), "好的")
