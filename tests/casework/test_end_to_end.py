"""Screening → application → submit (the resident's real conversation) → window → department."""

from __future__ import annotations

from tests.casework.conftest import CIVIL, CIVIL_CHAT, WINDOW, Desk
from tests.conftest import STAFF_CHAT
from tests.factories import BAISHA_SCREENING_ZH, id_number, play, skip_remaining_documents


async def test_a_resident_applies_in_the_bot_and_hears_each_decision(desk: Desk) -> None:
    bot = desk.bot
    assert bot.application is not None
    components = bot.application.bot_data.app.components
    if getattr(components.dialogue, "casework", None) is None:
        components.dialogue.casework = components.casework  # as tests/application wires it
    resident = bot.person(7201)
    await play(resident, BAISHA_SCREENING_ZH)
    await resident.tap("📝 申请这些帮助")
    await resident.tap("✅ 同意，开始填写")
    await resident.tap("✅ 选好了")
    await resident.send("张桂兰")  # for herself, in Baisha: said in the screening
    await resident.send(id_number("19500301", "022"))
    await resident.send("13823456789")
    await resident.send("黄荆村")
    await resident.tap("✅ 没有其他家庭成员")
    await resident.tap("✅ 同意授权核对")
    await skip_remaining_documents(resident)
    await resident.tap("📨 确认提交申请")
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
