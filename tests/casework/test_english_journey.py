"""An English-speaking resident's whole journey contains no Chinese they did not type themselves:
screening, the application with a document, the window, a department's request for documents
and its decision, and /my."""

from __future__ import annotations

import re

from tests.casework.conftest import MEDICAL, MEDICAL_CHAT, WINDOW, Desk
from tests.conftest import STAFF_CHAT, Person
from tests.factories import SHUANGFU_SCREENING_EN, WANG_FANG, after_screening, play, send_photo

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def chinese_seen_by(person: Person, typed: tuple[str, ...] = ()) -> list[str]:
    """Every text and button the bot showed the resident that has Han characters in it,
    once what they typed themselves is taken out."""
    found = []
    for message in person.messages:
        for text in (message.text or message.caption or "", *message.button_texts):
            for own in typed:
                text = text.replace(own, "")
            if HAN.search(text):
                found.append(text)
    return found


async def test_an_english_residents_journey_has_no_chinese_in_it(desk: Desk) -> None:
    bot = desk.bot
    resident = bot.person(7701, "en")
    await play(resident, [*SHUANGFU_SCREENING_EN, *after_screening(WANG_FANG, done="done")])
    await send_photo(bot, resident)
    await resident.tap("⏩ Skip all the rest, send them later")
    await resident.tap("📨 Submit the application")
    assert "JJ-2026-000001" in resident.screen
    await bot.dispatch()

    await desk.press(WINDOW, STAFF_CHAT, "✅ 受理并转办")
    await desk.settle()
    card = desk.last(MEDICAL_CHAT)
    await desk.press(MEDICAL, MEDICAL_CHAT, "✅ 接收办理", card.message_id)
    await desk.press(MEDICAL, MEDICAL_CHAT, "📎 要求补材料", card.message_id)
    await desk.press(MEDICAL, MEDICAL_CHAT, "⬜ 医疗费用票据和医保结算单", card.message_id)
    await desk.press(MEDICAL, MEDICAL_CHAT, "⬜ 医院诊断证明", card.message_id)
    await desk.press(MEDICAL, MEDICAL_CHAT, "📨 发送补材料通知", card.message_id)
    await desk.settle()
    assert "documents" in resident.screen.lower()

    # The resident sends a photo; with several items asked for, they say which it is.
    await send_photo(bot, resident)
    assert "Which document is it?" in resident.screen
    named = [b for b in resident.buttons if b != "✅ Everything is sent"]
    assert named == ["Medical bills and insurance settlement slips", "Hospital diagnosis"], named
    await resident.tap(named[1])
    await resident.tap("✅ Everything is sent")
    await desk.settle()

    card = desk.last(MEDICAL_CHAT)  # the department hears the documents came, with its card
    assert "🎉 批准" in card.button_texts
    await desk.press(MEDICAL, MEDICAL_CHAT, "🎉 批准", card.message_id)
    asking = desk.last(MEDICAL_CHAT)
    await desk.type(MEDICAL, MEDICAL_CHAT, "800 2026-04", reply_to=asking.message_id)
    await desk.settle()
    assert "800" in resident.screen

    await resident.send("/my")
    assert "JJ-2026-000001" in resident.screen
    await resident.tap(resident.buttons[0])

    typed = ("Wang Fang", "Xinglong Community")
    assert chinese_seen_by(resident, typed) == []
    assert len(resident.messages) > 20  # the whole journey was seen, not a few screens
