"""Screening → application → submit (the resident's real conversation) → window → department."""

from __future__ import annotations

import pytest

from tests.casework.conftest import CIVIL, CIVIL_CHAT, WINDOW, Desk
from tests.conftest import STAFF_CHAT
from tests.factories import (
    BAISHA_SCREENING_ZH,
    ZHANG_GUILAN,
    play,
    submit_after_screening,
)


@pytest.mark.usefixtures("casework_wired")
async def test_a_resident_applies_in_the_bot_and_hears_each_decision(desk: Desk) -> None:
    bot = desk.bot
    resident = bot.person(7201)
    await play(resident, [*BAISHA_SCREENING_ZH, *submit_after_screening(ZHANG_GUILAN)])
    assert "JJ-2026-000001" in resident.screen
    await bot.dispatch()

    alert = desk.last(STAFF_CHAT)
    assert "JJ-2026-000001" in (alert.text or "") and "张**" in (alert.text or "")
    await desk.press(WINDOW, STAFF_CHAT, "✅ 受理并转办")
    await desk.settle()
    assert "已受理" in (resident.last.text or "")
    card = desk.last(CIVIL_CHAT)
    await desk.press(CIVIL, CIVIL_CHAT, "✅ 接收办理", card.message_id)
    await desk.press(CIVIL, CIVIL_CHAT, "🏠 约入户调查", card.message_id)
    await desk.type(CIVIL, CIVIL_CHAT, "2026-03-05", reply_to=card.message_id)
    await desk.settle()
    text = resident.last.text or ""
    assert "开始办理" in text and "2026-03-05" in text and "入户调查" in text
