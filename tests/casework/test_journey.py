"""One application, two departments acting differently, the resident told each time."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.models import Application, DepartmentTask, StatusEvent
from tests.casework.conftest import CIVIL, CIVIL_CHAT, MEDICAL, MEDICAL_CHAT, WINDOW, Desk
from tests.conftest import STAFF_CHAT

# What the resident must read, in their own language, at each step.
TEXTS = {
    "zh-CN": {
        "accepted": [
            "已<b>受理</b>".replace("<b>", "").replace("</b>", ""),
            "区医疗保障局",
            "区民政局",
        ],
        "started": ["开始办理"],
        "approved_800": ["已批准", "800 元", "2026-04"],
        "documents": ["补充以下材料", "突发事件的证明", "居民身份证"],
        "received": ["收到您补充的材料"],
        "approved_1500": ["已批准", "1500 元", "2026-04"],
        "limit": ["办理时限", "还剩"],
        "paid": ["开始发放"],
    },
    "en": {
        "accepted": [
            "accepted",
            "District Medical Security Bureau",
            "District Civil Affairs Bureau",
        ],
        "started": ["started work"],
        "approved_800": ["approved", "800 yuan", "2026-04"],
        "documents": ["needs these documents", "Proof of the emergency", "Resident ID card"],
        "received": ["received your documents"],
        "approved_1500": ["approved", "1500 yuan", "2026-04"],
        "limit": ["Time limit", "left"],
        "paid": ["started"],
    },
}


def has(text: str, words: list[str]) -> bool:
    return all(word in text for word in words)


@pytest.mark.parametrize(("locale", "language_code"), [("zh-CN", "zh-hans"), ("en", "en")])
async def test_accept_then_two_departments_decide_differently(
    desk: Desk, locale: str, language_code: str
) -> None:
    texts = TEXTS[locale]
    person, resident_id = await desk.resident(7001, language_code)
    application_id = await desk.apply(resident_id, locale=locale)
    await desk.bot.dispatch()
    seen = len(person.messages)  # the receipt

    # The window accepts: each department gets a card, the resident is told once.
    await desk.press(WINDOW, STAFF_CHAT, "✅ 受理并转办")
    assert "陈晓" in desk.last(STAFF_CHAT).text and "受理并转办" in desk.last(STAFF_CHAT).text
    await desk.settle()
    notice = person.messages[seen].text
    assert has(notice, texts["accepted"]), notice
    seen = len(person.messages)
    civil_card, medical_card = desk.last(CIVIL_CHAT), desk.last(MEDICAL_CHAT)
    assert "临时救助" in civil_card.text and "医疗救助" in medical_card.text
    assert "✅ 接收办理" in civil_card.button_texts

    # Both take it on within a few seconds: one combined message, with the time limits.
    await desk.press(MEDICAL, MEDICAL_CHAT, "✅ 接收办理")
    await desk.press(CIVIL, CIVIL_CHAT, "✅ 接收办理")
    await desk.settle()
    assert len(person.messages) == seen + 1
    combined = person.messages[-1].text
    assert combined.count(texts["started"][0]) == 2 and has(combined, texts["limit"]), combined
    seen += 1

    # Medical approves: the amount and start month are typed as a reply to the card.
    await desk.press(MEDICAL, MEDICAL_CHAT, "🎉 批准")
    assert "800 2026-04" in desk.last(MEDICAL_CHAT).text  # the prompt shows an example
    await desk.type(MEDICAL, MEDICAL_CHAT, "800元 2026-04", reply_to=medical_card.message_id)
    await desk.settle()
    assert has(person.messages[-1].text, texts["approved_800"]), person.messages[-1].text
    assert "800 元" in desk.messages(MEDICAL_CHAT)[-1].text

    # Civil affairs asks for two documents, picked from the checklist.
    await desk.press(CIVIL, CIVIL_CHAT, "📎 要求补材料")
    await desk.press(CIVIL, CIVIL_CHAT, "⬜ 居民身份证")
    await desk.press(CIVIL, CIVIL_CHAT, "⬜ 突发事件的证明（如火灾、事故证明或医院诊断）")
    assert "☑️ 居民身份证" in desk.last(CIVIL_CHAT).button_texts
    await desk.press(CIVIL, CIVIL_CHAT, "📨 发送补材料通知")
    await desk.settle()
    assert has(person.messages[-1].text, texts["documents"]), person.messages[-1].text

    # The documents arrive (at the window), then approval with a Chinese numeral and month.
    await desk.press(CIVIL, CIVIL_CHAT, "📥 材料已收到")
    await desk.press(CIVIL, CIVIL_CHAT, "🎉 批准")
    await desk.type(CIVIL, CIVIL_CHAT, "一千五 2026年4月", reply_to=civil_card.message_id)
    await desk.settle()
    last_two = "\n".join(m.text or "" for m in person.messages[-1:])
    assert has(last_two, texts["received"] + texts["approved_1500"]), last_two

    # Payment starts in both: every task has ended, so the application is closed.
    await desk.press(MEDICAL, MEDICAL_CHAT, "💰 已发放/服务已开始")
    await desk.press(CIVIL, CIVIL_CHAT, "💰 已发放/服务已开始")
    await desk.settle()
    assert has(person.messages[-1].text, texts["paid"])
    async with desk.database.transaction() as session:
        application = await session.get(Application, application_id)
        assert application is not None and application.status == "closed"
        tasks = list(await session.scalars(select(DepartmentTask)))
        assert {(t.programme_id, t.state, t.amount) for t in tasks} == {
            ("medical", "paid", 800),
            ("temporary", "paid", 1500),
        }
        events = list(await session.scalars(select(StatusEvent).order_by(StatusEvent.id)))
    staff_events = [(e.actor_id, e.action) for e in events if e.actor_kind == "staff"]
    assert (WINDOW, "accepted") in staff_events
    assert (CIVIL, "need_documents") in staff_events and (MEDICAL, "approve") in staff_events
    assert events[-1].action == "closed"
    assert all(e.created_at is not None for e in events)
