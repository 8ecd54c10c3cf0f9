"""The window asks for exactly what is missing, per person; staff may still add a document."""

from __future__ import annotations

import pytest

from bot.casework.drafts import DocumentDraft
from tests.casework.conftest import WINDOW, Desk
from tests.conftest import STAFF_CHAT

HUSBAND = ({"relationship": "spouse", "age": 62, "disability": "yes", "working": "no"},)
MISSING = {
    "zh-CN": ["补充以下材料", "残疾人证（家庭成员 1：配偶，62 岁）", "家庭收入情况说明或证明"],
    "en": [
        "Disability certificate (household member 1: Spouse, 62)",
        "Statement or proof of household income",
    ],
}
NOT_ASKED = {
    "zh-CN": ["医院诊断证明", "居民身份证"],
    "en": ["Hospital diagnosis", "Resident ID card"],
}


@pytest.mark.parametrize(("locale", "language_code"), [("zh-CN", "zh-hans"), ("en", "en")])
async def test_the_window_asks_for_what_is_missing_for_each_person(
    desk: Desk, locale: str, language_code: str
) -> None:
    """A healthy applicant for 低保 whose husband is disabled; her ID card is already sent."""
    person, resident_id = await desk.resident(7401, language_code)
    await desk.apply(
        resident_id,
        locale=locale,
        programmes=("dibao",),
        facts={"health": "none"},
        household=HUSBAND,
        documents=(DocumentDraft("id_card", "file-1", "photo", "image/jpeg", 2048),),
    )
    await desk.bot.dispatch()
    await desk.press(WINDOW, STAFF_CHAT, "📎 要求补材料")
    buttons = desk.last(STAFF_CHAT).button_texts
    # What is missing comes ticked, per person; what does not apply is offered, not ticked.
    assert "☑️ 残疾人证（家庭成员 1：配偶，62 岁）" in buttons
    assert "⬜ 居民身份证" in buttons and "⬜ 医院诊断证明" in buttons
    assert not any(b.startswith("☑️ 医院诊断证明") or b == "☑️ 残疾人证" for b in buttons)
    await desk.press(WINDOW, STAFF_CHAT, "📨 发送补材料通知")
    await desk.settle()
    notice = person.messages[-1].text or ""
    assert all(word in notice for word in MISSING[locale]), notice
    assert not any(word in notice for word in NOT_ASKED[locale]), notice
    mine = (await person.send("/my")).text or ""
    assert MISSING[locale][-2] in mine, mine  # the member's copy, named in the ledger too


async def test_sending_with_nothing_ticked_asks_to_pick_one_and_sends_nothing(desk: Desk) -> None:
    person, resident_id = await desk.resident(7402, "zh-hans")
    await desk.apply(resident_id, programmes=("dibao",), facts={"health": "none"})
    await desk.bot.dispatch()
    await desk.press(WINDOW, STAFF_CHAT, "📎 要求补材料")
    while ticked := [b for b in desk.last(STAFF_CHAT).button_texts if b.startswith("☑️")]:
        await desk.press(WINDOW, STAFF_CHAT, ticked[0])
    before = len(person.messages)
    await desk.press(WINDOW, STAFF_CHAT, "📨 发送补材料通知")
    assert "请至少选一项材料" in desk.last_answer()
    await desk.settle()
    assert len(person.messages) == before  # no notice asking for nothing
    assert any(b.startswith("⬜") for b in desk.last(STAFF_CHAT).button_texts)  # still picking
