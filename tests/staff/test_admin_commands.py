"""Administrators manage staff in a private chat with the bot; anyone else is refused, audited."""

from __future__ import annotations

from sqlalchemy import select

from storage import staff
from storage.models import AuditEvent, StaffMember, StaffRole
from tests.conftest import BotHarness

ADMIN = 9001  # from YIMEN_ADMIN_IDS in the test settings


async def roles(bot: BotHarness) -> list[tuple[int, str, str | None, str | None]]:
    database = bot.database
    async with database.transaction() as session:
        members = (await session.scalars(select(StaffMember).order_by(StaffMember.id))).all()
        return [(m.telegram_user_id, m.role, m.town_id, m.department_id) for m in members]


async def audit(bot: BotHarness) -> list[tuple[int | None, str, str]]:
    database = bot.database
    async with database.transaction() as session:
        rows = (await session.scalars(select(AuditEvent).order_by(AuditEvent.id))).all()
        return [(r.actor_id, r.action, r.outcome) for r in rows]


async def test_the_administrator_adds_lists_and_removes_staff(bot: BotHarness) -> None:
    admin = bot.person(ADMIN)
    added = await admin.send("/staff_add 7001 window baisha")
    assert "已添加" in (added.text or "") and "白沙镇" in (added.text or "")
    await admin.send("/staff_add 7101 department civil_affairs")
    await admin.send("/staff_add 7002 window")
    assert await roles(bot) == [
        (7001, "window", "baisha", None),
        (7101, "department", None, "civil_affairs"),
        (7002, "window", None, None),
    ]

    listed = (await admin.send("/staff_list")).text or ""
    assert "7001" in listed and "区民政局" in listed and "全部镇街" in listed
    assert "YIMEN_ADMIN_IDS" in listed and "9001" in listed

    removed = await admin.send("/staff_remove 7001")
    assert "已删除" in (removed.text or "")
    assert [r[0] for r in await roles(bot)] == [7101, 7002]

    trail = await audit(bot)
    assert (ADMIN, "admin.staff_add", "allowed") in trail
    assert (ADMIN, "staff.add", "allowed") in trail
    assert (ADMIN, "staff.remove", "allowed") in trail


async def test_mistakes_get_a_specific_kind_answer_and_change_nothing(bot: BotHarness) -> None:
    admin = bot.person(ADMIN, "en")
    cases = {
        "/staff_add 777000 admin": "Telegram service account",
        "/staff_add 1087968824 window": "Telegram service account",
        "/staff_add 7001 window atlantis": "no town with the id “atlantis”",
        "/staff_add 7001 department nope": "no department with the id “nope”",
        "/staff_add 7001 boss": "There is no role “boss”",
        "/staff_add abc window": "not a Telegram user id",
        "/staff_add 7001 admin baisha": "neither a town nor a department",
    }
    for command, message in cases.items():
        screen = (await admin.send(command)).text or ""
        assert message in screen, (command, screen)
    usage = (await admin.send("/staff_add")).text or ""
    assert "/staff_add USER_ID ROLE" in usage
    assert await roles(bot) == []


async def test_anyone_else_is_refused_and_audited(bot: BotHarness) -> None:
    database = bot.database
    async with database.transaction() as session:
        await staff.add(session, telegram_user_id=7001, role=StaffRole.WINDOW)
    for user_id in (1001, 7001):  # a resident; window staff (not an administrator)
        person = bot.person(user_id)
        for command in ("/staff_add 1001 admin", "/staff_remove 7001", "/staff_list"):
            assert "只有管理员可以管理工作人员" in ((await person.send(command)).text or "")
    assert await roles(bot) == [(7001, "window", None, None)]
    refused = [row for row in await audit(bot) if row[2] == "refused"]
    assert len(refused) == 6
    assert {row[1] for row in refused} == {
        "admin.staff_add",
        "admin.staff_remove",
        "admin.staff_list",
    }


async def test_an_administrator_from_the_database_may_manage_staff(bot: BotHarness) -> None:
    database = bot.database
    async with database.transaction() as session:
        await staff.add(session, telegram_user_id=9002, role=StaffRole.ADMIN)
    added = await bot.person(9002).send("/staff_add 7001 window")
    assert "已添加" in (added.text or "")
