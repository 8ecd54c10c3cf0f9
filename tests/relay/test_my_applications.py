"""/my: a resident sees each application, each department's ledger, the next step and the time
left — and only their own applications."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from storage.models import Application, ApplicationStatus, DepartmentTask, StatusEvent
from tests.conftest import BotHarness, Clock
from tests.helpers import apply, audit_rows, resident

EXPECTED: dict[str, dict[str, Any]] = {
    "zh-CN": {
        "title": "我的申请",
        "submitted": "2026-03-02 提交",
        "status": "窗口已受理，各部门正在办理",
        "ledger": [
            "2026-03-02　提交申请",
            "窗口受理，转给部门",
            "部门要求补交材料：医院诊断证明、医疗费用票据和医保结算单",
        ],
        "next": "下一步：请补交部门要求的材料",
        "dibao_left": "还剩 30 个工作日",
        "medical_left": "还剩 20 个工作日",
        "dibao_soon": "还剩 9 个工作日",
        "overdue": "已超过时限 1 个工作日",
        "sorry": "抱歉让您久等",
        "open": "📄 查看 JJ-2026-000001",
        "refused": "您只能查看自己提交的申请",
    },
    "en": {
        "title": "My applications",
        "submitted": "submitted 2026-03-02",
        "status": "Accepted by the window; the departments are working on it",
        "ledger": [
            "2026-03-02  Application submitted",
            "Accepted by the window and passed to the department",
            "The department asked for documents: Hospital diagnosis, Medical bills and insurance",
        ],
        "next": "Next: Please send the documents the department asked for",
        "dibao_left": "30 working days left",
        "medical_left": "20 working days left",
        "dibao_soon": "9 working days left",
        "overdue": "1 working day past the limit",
        "sorry": "We are sorry for the wait",
        "open": "📄 Open JJ-2026-000001",
        "refused": "you can only see the applications you submitted yourself",
    },
}


async def progress(bot: BotHarness, application_id: int) -> None:
    """The window forwards both parts; medical asks for a document (as departments will)."""
    now = bot.components.casework.clock()
    async with bot.database.transaction() as session:
        application = await session.get(Application, application_id)
        assert application is not None
        application.status = ApplicationStatus.ACCEPTED
        tasks = (
            await session.scalars(
                select(DepartmentTask).where(DepartmentTask.application_id == application_id)
            )
        ).all()
        for task in tasks:
            session.add(
                StatusEvent(
                    application_id=application_id,
                    task_id=task.id,
                    actor_kind="staff",
                    actor_id=7001,
                    action="forward",
                    created_at=now,
                )
            )
            task.state = "received"
            if task.programme_id == "medical":
                for action, note in (
                    ("accept", None),
                    ("need_documents", "diagnosis,medical_bills"),
                ):
                    session.add(
                        StatusEvent(
                            application_id=application_id,
                            task_id=task.id,
                            actor_kind="staff",
                            actor_id=7101,
                            action=action,
                            note=note,
                            created_at=now + timedelta(minutes=5),
                        )
                    )
                task.state = "documents_needed"


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
async def test_my_lists_ledger_next_step_and_days_left(
    bot: BotHarness, clock: Clock, locale: str
) -> None:
    expect = EXPECTED[locale]
    person = bot.person(1001, "en" if locale == "en" else "zh-hans")
    application_id = await apply(bot, await resident(bot, 1001, locale), locale=locale)
    await progress(bot, application_id)

    screen = (await person.send("/my")).text or ""
    assert expect["title"] in screen
    assert "JJ-2026-000001" in screen and expect["submitted"] in screen
    assert expect["status"] in screen
    for line in expect["ledger"]:
        assert line in screen
    assert expect["next"] in screen
    assert expect["dibao_left"] in screen and expect["medical_left"] in screen
    assert expect["open"] in person.buttons

    # Four weeks on: medical's 20 working days have run out; dibao has 30 working days
    # (Qingming, 2026-04-06, is not one of them).
    clock.advance(days=29)
    screen = (await person.send("/my")).text or ""
    assert expect["overdue"] in screen and expect["sorry"] in screen
    assert expect["dibao_soon"] in screen

    opened = await person.tap(expect["open"])
    assert opened.text is not None and "JJ-2026-000001" in opened.text
    for line in expect["ledger"]:
        assert line in opened.text


async def test_no_applications_yet_points_to_start(bot: BotHarness) -> None:
    person = bot.person(1002)
    screen = (await person.send("/my")).text or ""
    assert "还没有提交过申请" in screen and "/start" in screen
    assert "💬 联系工作人员" in person.buttons


async def test_someone_elses_application_is_refused_politely_and_audited(bot: BotHarness) -> None:
    mine = await apply(bot, await resident(bot, 1003))
    other = await apply(
        bot,
        await resident(bot, 1004),
        subject_id_number="120103198806018241",
        applicant_id_number="120103198806018241",
    )
    person = bot.person(1003)
    await person.send("/my")
    message = person.last
    # A real button of the screen, with its data changed to another resident's application.
    update = bot.telegram.make_update_tap(1003, 1003, message.message_id, f"m|{mine}")
    update["callback_query"]["data"] = f"m|{other}"
    await bot.feed(update)
    screen = person.last.text or ""
    assert EXPECTED["zh-CN"]["refused"] in screen
    assert "JJ-2026-000002" not in screen
    refused = await audit_rows(bot, "my.open")
    assert [(r.actor_id, r.outcome, r.subject) for r in refused] == [
        (1003, "refused", f"m|{other}")
    ]

    # The resident can go back to their list; garbage is refused the same way.
    back = await person.tap("⬅️ 返回我的申请")
    assert "JJ-2026-000001" in (back.text or "")
    update = bot.telegram.make_update_tap(1003, 1003, back.message_id, f"m|{mine}")
    update["callback_query"]["data"] = "m|1;DROP"
    await bot.feed(update)
    assert EXPECTED["zh-CN"]["refused"] in (person.last.text or "")
    assert len(await audit_rows(bot, "my.open")) == 2


async def test_a_refusal_shows_the_reason_in_words(bot: BotHarness) -> None:
    application_id = await apply(bot, await resident(bot, 1006))
    now = bot.components.casework.clock()
    async with bot.database.transaction() as session:
        application = await session.get(Application, application_id)
        assert application is not None
        application.status = ApplicationStatus.REJECTED
        session.add(
            StatusEvent(
                application_id=application_id,
                actor_kind="staff",
                actor_id=7001,
                action="rejected",
                note="not_local_hukou: 户籍在永川区",
                created_at=now,
            )
        )
    screen = (await bot.person(1006).send("/my")).text or ""
    assert "窗口不予受理：不是本地户籍：户籍在永川区" in screen
    assert "not_local_hukou" not in screen
