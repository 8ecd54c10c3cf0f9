"""The 低保 statutory path, held by the clock: one invented household, from acceptance to approval.

A policy officer can read each step as: what staff did, on which day, and what the rule says
must happen (or be refused). 2026-03-02 is a Monday; Qingming (2026-04-06) is not a working day.

- 30 working days from the window's acceptance (not from the online submission): due 2026-04-14.
- The home visit comes before the town's opinion, and cannot be recorded before its day.
- The public notice lasts 7 full days (posted 03-05: until 03-12) and cannot be ended early.
- An objection during the notice sends the task back to re-investigation, then a new notice.
- The notice days do not count: 5 + 6 working days stopped, due moves to 2026-04-29.
- Extended once, with a reason, to 45 working days: due 2026-05-22; a second extension refused.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.models import DepartmentTask, StatusEvent
from tests.casework.conftest import CIVIL, CIVIL_CHAT, WINDOW, Desk
from tests.conftest import STAFF_CHAT

RESIDENT_TEXTS = {
    "zh-CN": {
        "receipt": ["提交回执", "不是受理", "受理通知"],
        "accepted": ["受理通知", "已受理", "30 个工作日", "2026-04-14", "公示的日子不算在内"],
        "notice": [
            "公示 7 天",
            "到 2026-03-12 为止",
            "不会提前结束",
            "公示的日子不计算在内，时限暂停",
        ],
        "objection": ["异议", "重新调查核实", "重新公示"],
        "extended": ["延长", "45 个工作日", "需要核对申请人在外地的房产", "2026-05-22"],
        "my": ["45 个工作日", "2026-05-22", "延长办理时限", "公示期间有人提出异议"],
    },
    "en": {
        "receipt": ["Submission receipt", "not accepted yet", "acceptance notice"],
        "accepted": [
            "Acceptance notice",
            "accepted",
            "30 working days",
            "2026-04-14",
            "public notice days do not count",
        ],
        "notice": ["7 full days", "until 2026-03-12", "never ended early", "the clock is stopped"],
        "objection": ["objection", "look into your household's situation again", "new public"],
        "extended": ["extended", "45 working days", "需要核对申请人在外地的房产", "2026-05-22"],
        "my": ["45 working days", "2026-05-22", "Time limit extended", "An objection during"],
    },
}


def has(text: str | None, words: list[str]) -> bool:
    return text is not None and all(word in text for word in words)


async def _task(desk: Desk) -> DepartmentTask:
    async with desk.database.transaction() as session:
        task = await session.scalar(select(DepartmentTask).where(DepartmentTask.id == 1))
    assert task is not None
    return task


@pytest.mark.parametrize(("locale", "language_code"), [("zh-CN", "zh-hans"), ("en", "en")])
async def test_dibao_from_acceptance_to_approval_held_by_the_clock(
    desk: Desk, locale: str, language_code: str
) -> None:
    texts = RESIDENT_TEXTS[locale]
    person, resident_id = await desk.resident(7301, language_code)
    await desk.apply(resident_id, locale=locale, programmes=("dibao",))
    await desk.bot.dispatch()
    # What the resident holds after submitting is a submission receipt, not an acceptance.
    assert has(person.messages[-1].text, texts["receipt"]), person.messages[-1].text

    # Monday 2026-03-02: the window accepts; the 30 working days start today.
    await desk.press(WINDOW, STAFF_CHAT, "✅ 受理并转办")
    await desk.settle()
    assert has(person.messages[-1].text, texts["accepted"]), person.messages[-1].text
    assert (await _task(desk)).due_on.isoformat() == "2026-04-14"
    await desk.press(CIVIL, CIVIL_CHAT, "✅ 接收办理")

    # The town's opinion before any home visit: refused, with the rule in plain words.
    card = desk.last(CIVIL_CHAT)
    assert "🔎 经济状况核对完成" not in card.button_texts
    query = await desk.bot.forge(CIVIL, CIVIL_CHAT, card.message_id, "t|1|check_done")
    assert "要先入户调查" in desk.answer(query)

    # The visit is booked for Thursday 03-05; recording it as made on Monday is refused.
    await desk.press(CIVIL, CIVIL_CHAT, "🏠 约入户调查")
    await desk.type(CIVIL, CIVIL_CHAT, "2026-03-05", reply_to=desk.last(CIVIL_CHAT).message_id)
    await desk.press(CIVIL, CIVIL_CHAT, "🏠 入户调查已完成")
    assert "入户调查约在 2026-03-05" in desk.last_answer()
    assert (await _task(desk)).state == "visit_scheduled"
    desk.bot.clock.advance(days=3)  # Thursday 03-05
    for label in ("🏠 入户调查已完成", "🔎 经济状况核对完成", "📢 开始公示"):
        await desk.press(CIVIL, CIVIL_CHAT, label)
    await desk.settle()
    assert has(person.messages[-1].text, texts["notice"]), person.messages[-1].text
    assert "到 2026-03-12（不能提前结束）" in (desk.last(CIVIL_CHAT).text or "")

    # 03-12 is the notice's 7th full day: it cannot be ended yet.
    desk.bot.clock.advance(days=7)
    await desk.press(CIVIL, CIVIL_CHAT, "📢 公示结束")
    assert "不能提前结束：到 2026-03-12 为止，2026-03-13 起" in desk.last_answer()
    assert (await _task(desk)).state == "notice_started"

    # An objection the same day: back to re-investigation, then the town's opinion and a new
    # notice (the visit already made still counts).
    await desk.press(CIVIL, CIVIL_CHAT, "✋ 公示有异议")
    await desk.settle()
    assert has(person.messages[-1].text, texts["objection"]), person.messages[-1].text
    assert (await _task(desk)).state == "reinvestigating"
    for label in ("🔎 经济状况核对完成", "📢 开始公示"):
        await desk.press(CIVIL, CIVIL_CHAT, label)
    desk.bot.clock.advance(days=8)  # Friday 03-20: the new notice has run its 7 full days
    await desk.press(CIVIL, CIVIL_CHAT, "📢 公示结束")
    task = await _task(desk)
    # The clock stood still 03-05→03-12 (5 working days) and 03-12→03-20 (6).
    assert (task.state, task.paused_days, task.due_on.isoformat()) == (
        "notice_ended",
        11,
        "2026-04-29",
    )

    # A special case: extended once to 45 working days, the reason on record and told.
    await desk.press(CIVIL, CIVIL_CHAT, "⏳ 延长办理时限")
    prompt = desk.last(CIVIL_CHAT)
    assert "45 个工作日" in (prompt.text or "")
    await desk.type(CIVIL, CIVIL_CHAT, "  ", reply_to=prompt.message_id)
    assert not (await _task(desk)).extended  # no reason, no extension
    await desk.type(CIVIL, CIVIL_CHAT, "需要核对申请人在外地的房产", reply_to=prompt.message_id)
    await desk.settle()
    assert has(person.messages[-1].text, texts["extended"]), person.messages[-1].text
    task = await _task(desk)
    assert (task.extended, task.due_on.isoformat()) == (True, "2026-05-22")
    mine = (await person.send("/my")).text or ""
    assert has(mine, texts["my"]), mine
    card = desk.last(CIVIL_CHAT)
    assert "⏳ 延长办理时限" not in card.button_texts
    query = await desk.bot.forge(CIVIL, CIVIL_CHAT, card.message_id, "t|1|extend")
    assert "只能延长一次" in desk.answer(query)

    await desk.press(CIVIL, CIVIL_CHAT, "🎉 批准")
    await desk.type(CIVIL, CIVIL_CHAT, "770 2026-04", reply_to=desk.last(CIVIL_CHAT).message_id)
    async with desk.database.transaction() as session:
        events = list(
            await session.scalars(
                select(StatusEvent).where(StatusEvent.task_id == 1).order_by(StatusEvent.id)
            )
        )
    assert [e.action for e in events if e.actor_kind == "staff"] == [
        "forward",
        "accept",
        "schedule_visit",
        "visit_done",
        "check_done",
        "start_notice",
        "objection",
        "check_done",
        "start_notice",
        "end_notice",
        "extend",
        "approve",
    ]
    assert next(e.note for e in events if e.action == "extend") == "需要核对申请人在外地的房产"


async def test_a_stopped_clock_is_not_overdue(desk: Desk) -> None:
    """特困: 25 working days from acceptance; the notice days do not make it overdue."""
    _, resident_id = await desk.resident(7302)
    await desk.apply(resident_id, programmes=("tekun",))
    await desk.bot.dispatch()
    await desk.press(WINDOW, STAFF_CHAT, "✅ 受理并转办")
    await desk.settle()
    await desk.press(CIVIL, CIVIL_CHAT, "✅ 接收办理")
    await desk.press(CIVIL, CIVIL_CHAT, "🏠 约入户调查")
    await desk.type(CIVIL, CIVIL_CHAT, "2026-03-02", reply_to=desk.last(CIVIL_CHAT).message_id)
    desk.bot.clock.advance(days=30)  # 2026-04-01: 25 working days run to 2026-04-07
    for label in ("🏠 入户调查已完成", "🔎 经济状况核对完成", "📢 开始公示"):
        await desk.press(CIVIL, CIVIL_CHAT, label)
    assert desk.bot.application is not None
    watch = desk.bot.application.bot_data.app.deadline_watch
    desk.bot.clock.advance(days=7)  # 04-08: past 04-07, but the notice is up and does not count
    assert await watch.run_once() == 0
    desk.bot.clock.advance(days=1)  # 04-09: the notice has run its 7 full days
    await desk.press(CIVIL, CIVIL_CHAT, "📢 公示结束")
    task = await _task(desk)
    # Stopped 04-02, 04-03, 04-07, 04-08, 04-09 (Qingming 04-06 is no working day).
    assert (task.paused_since, task.paused_days, task.due_on.isoformat()) == (None, 5, "2026-04-14")
    desk.bot.clock.advance(days=6)  # 04-15: now it is overdue
    assert await watch.run_once() == 1
