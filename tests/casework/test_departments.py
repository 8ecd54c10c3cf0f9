"""Department cards: the machine refuses what does not follow; deadlines; digests."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import DepartmentTask
from tests.casework.conftest import CIVIL, CIVIL_CHAT, MEDICAL, MEDICAL_CHAT, WINDOW, Desk
from tests.conftest import STAFF_CHAT
from tests.factories import gb11643


async def _accepted(desk: Desk, **changes: object) -> tuple[int, int]:
    """An application accepted by the window; returns (application id, civil affairs task id)."""
    _, resident_id = await desk.resident(7101)
    application_id = await desk.apply(resident_id, **changes)
    await desk.bot.dispatch()
    await desk.press(WINDOW, STAFF_CHAT, "✅ 受理并转办")
    await desk.settle()
    async with desk.database.transaction() as session:
        task_id = await session.scalar(
            select(DepartmentTask.id).where(DepartmentTask.department_id == "civil_affairs")
        )
    assert task_id is not None
    return application_id, task_id


async def test_an_invalid_task_action_is_refused_with_the_machines_message(desk: Desk) -> None:
    _, task_id = await _accepted(desk, programmes=("dibao",))
    await desk.press(CIVIL, CIVIL_CHAT, "✅ 接收办理")
    card = desk.last(CIVIL_CHAT)
    assert "🎉 批准" not in card.button_texts  # dibao needs the check and the public notice
    query = await desk.bot.forge(CIVIL, CIVIL_CHAT, card.message_id, f"t|{task_id}|approve")
    assert "7 天公示" in desk.answer(query)
    refused = await desk.audit("task.approve", "refused")
    assert refused[-1].detail["reason"].startswith("approval needs the economic check")
    async with desk.database.transaction() as session:
        task = await session.get(DepartmentTask, task_id)
        assert task is not None and task.state == "accepted"


async def test_the_public_notice_path_and_a_home_visit_date(desk: Desk) -> None:
    _, task_id = await _accepted(desk, programmes=("dibao",))
    await desk.press(CIVIL, CIVIL_CHAT, "✅ 接收办理")
    await desk.press(CIVIL, CIVIL_CHAT, "🏠 约入户调查")
    card = desk.last(CIVIL_CHAT)
    await desk.type(CIVIL, CIVIL_CHAT, "明天吧", reply_to=card.message_id)
    assert "没看懂这个日期" in (desk.last(CIVIL_CHAT).text or "")
    await desk.type(CIVIL, CIVIL_CHAT, "3月5日", reply_to=card.message_id)
    desk.bot.clock.advance(days=3)  # 2026-03-05: the visit is made
    for label in ("🏠 入户调查已完成", "🔎 经济状况核对完成", "📢 开始公示"):
        await desk.press(CIVIL, CIVIL_CHAT, label)
    desk.bot.clock.advance(days=8)  # the notice's 7 full days have run
    for label in ("📢 公示结束", "🎉 批准"):
        await desk.press(CIVIL, CIVIL_CHAT, label)
    card = desk.last(CIVIL_CHAT)
    await desk.type(CIVIL, CIVIL_CHAT, "770 2026-04", reply_to=card.message_id)
    async with desk.database.transaction() as session:
        task = await session.get(DepartmentTask, task_id)
        assert task is not None
        assert (task.state, str(task.visit_on), task.amount) == ("approved", "2026-03-05", 770)


async def test_reject_and_refer(desk: Desk) -> None:
    person, resident_id = await desk.resident(7102, "en")
    await desk.apply(resident_id, locale="en")
    await desk.bot.dispatch()
    await desk.press(WINDOW, STAFF_CHAT, "✅ 受理并转办")
    await desk.settle()
    await desk.press(MEDICAL, MEDICAL_CHAT, "❌ 不予批准")
    await desk.press(MEDICAL, MEDICAL_CHAT, "家庭人均收入高于当地标准")
    await desk.press(MEDICAL, MEDICAL_CHAT, "❌ 不加说明，直接不予批准")
    await desk.press(CIVIL, CIVIL_CHAT, "↪️ 转其他部门")
    await desk.press(CIVIL, CIVIL_CHAT, "区应急管理局")
    await desk.settle()
    text = person.messages[-1].text or ""
    assert "income per person is above the local line" in text and "administrative review" in text
    assert "passed this part to the District Emergency Management Bureau" in text
    emergency = desk.last(-1002000000106)
    assert "临时救助" in (emergency.text or "") and "✅ 接收办理" in emergency.button_texts


async def test_overdue_tasks_are_reminded_once_a_day(desk: Desk) -> None:
    await _accepted(desk)  # temporary (civil affairs): 10 working days from 2026-03-02
    assert desk.bot.application is not None
    watch = desk.bot.application.bot_data.app.deadline_watch
    assert await watch.run_once() == 0
    desk.bot.clock.advance(days=15)  # 2026-03-17: due 03-16 for temporary, not yet medical
    assert await watch.run_once() == 1
    assert await watch.run_once() == 0  # same day: nothing again
    await desk.bot.dispatch()
    reminder = desk.last(CIVIL_CHAT).text or ""
    assert "已超期" in reminder and "临时救助" in reminder
    # How late, in the programme's kind of days, and the person masked as on every staff card.
    assert "已超过 1 个工作日" in reminder and "救助对象 王**" in reminder
    assert "已超期" in (desk.last(STAFF_CHAT).text or "")
    desk.bot.clock.advance(days=1)
    assert await watch.run_once() == 1
    await desk.bot.dispatch()
    overdue = [m for m in desk.messages(CIVIL_CHAT) if "已超期" in (m.text or "")]
    assert len(overdue) == 2
    await desk.bot.restart()  # driven from rows: a new process does not repeat today's
    watch = desk.bot.application.bot_data.app.deadline_watch
    assert await watch.run_once() == 0


async def test_ten_applications_at_once_make_one_digest(desk: Desk) -> None:
    _, resident_id = await desk.resident(7103)
    for n in range(10):
        subject = gb11643(f"50011619800101{n:02d}1")
        await desk.apply(resident_id, subject_id_number=subject, programmes=("medical",))
    await desk.settle(61)
    staff_messages = desk.messages(STAFF_CHAT)
    assert len(staff_messages) <= 3
    digest = staff_messages[-1]
    assert "10" in (digest.text or "") and len(digest.button_texts) == 10
    await desk.press(WINDOW, STAFF_CHAT, digest.button_texts[3])
    await desk.bot.dispatch()
    opened = desk.last(STAFF_CHAT)
    assert "JJ-2026-000004" in (opened.text or "") and "✅ 受理并转办" in opened.button_texts
