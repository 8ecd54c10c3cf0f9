"""What tests put into and read from the running bot's database: residents, applications,
staff, audit rows and counts. Every person here is invented."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from bot.casework.applications import submit
from storage import staff
from storage.models import (
    Application,
    AuditEvent,
    Conversation,
    Resident,
    StaffRole,
    SubmittedDocument,
)
from tests.conftest import BotHarness
from tests.factories import draft


async def resident(bot: BotHarness, telegram_id: int, locale: str = "zh-CN") -> int:
    """A resident row written straight into the database (no conversation); its id."""
    async with bot.database.transaction() as session:
        row = Resident(telegram_user_id=telegram_id, locale=locale)
        session.add(row)
        await session.flush()
        return row.id


async def resident_id(bot: BotHarness, telegram_id: int) -> int:
    """The row id of a resident who has talked to the bot."""
    async with bot.database.transaction() as session:
        row = await session.scalar(select(Resident).where(Resident.telegram_user_id == telegram_id))
        assert row is not None
        return row.id


async def apply(bot: BotHarness, resident_id: int, **changes: object) -> int:
    """An application submitted through casework (``factories.draft`` with ``changes``)."""
    async with bot.database.transaction() as session:
        submission = await submit(session, draft(resident_id, **changes), bot.components.casework)
    assert submission.application_id, submission
    return submission.application_id


async def add_staff(bot: BotHarness, user_id: int, role: StaffRole, **scope: str) -> None:
    async with bot.database.transaction() as session:
        await staff.add(session, telegram_user_id=user_id, role=role, **scope)  # type: ignore[arg-type]


async def audit_rows(
    bot: BotHarness, action: str | None = None, outcome: str | None = None
) -> list[AuditEvent]:
    """The audit log in order, of one action and outcome when given."""
    async with bot.database.transaction() as session:
        query = select(AuditEvent).order_by(AuditEvent.id)
        if action is not None:
            query = query.where(AuditEvent.action == action)
        if outcome is not None:
            query = query.where(AuditEvent.outcome == outcome)
        return list(await session.scalars(query))


async def count(bot: BotHarness, model: Any, *where: Any) -> int:
    """How many rows of ``model`` there are (that match ``where``)."""
    async with bot.database.transaction() as session:
        found = await session.scalar(select(func.count()).select_from(model).where(*where))
        return int(found or 0)


async def applications(bot: BotHarness) -> list[Application]:
    async with bot.database.transaction() as session:
        return list((await session.scalars(select(Application).order_by(Application.id))).all())


async def documents_of(bot: BotHarness, application_id: int) -> list[SubmittedDocument]:
    async with bot.database.transaction() as session:
        rows = await session.scalars(
            select(SubmittedDocument).where(SubmittedDocument.application_id == application_id)
        )
        return list(rows.all())


async def conversation(bot: BotHarness, chat_id: int) -> Conversation:
    """The conversation of a private chat."""
    async with bot.database.transaction() as session:
        row = await session.scalar(select(Conversation).where(Conversation.chat_id == chat_id))
    assert row is not None
    return row
