"""Helpers for the resident-side casework tests: synthetic residents, applications and staff."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.casework.applications import submit
from bot.casework.services import Casework
from storage import staff
from storage.db import Database
from storage.models import AuditEvent, Resident, StaffRole
from tests.conftest import BotHarness
from tests.factories import draft


def components(bot: BotHarness) -> Any:
    assert bot.application is not None
    return bot.application.bot_data.app.components


def database(bot: BotHarness) -> Database:
    db: Database = components(bot).database
    return db


def casework(bot: BotHarness) -> Casework:
    work: Casework = components(bot).casework
    return work


async def resident(bot: BotHarness, telegram_id: int, locale: str = "zh-CN") -> int:
    async with database(bot).transaction() as session:
        row = Resident(telegram_user_id=telegram_id, locale=locale)
        session.add(row)
        await session.flush()
        return row.id


async def apply(bot: BotHarness, resident_id: int, **changes: object) -> int:
    async with database(bot).transaction() as session:
        submission = await submit(session, draft(resident_id, **changes), casework(bot))
    assert submission.application_id, submission
    return submission.application_id


async def add_staff(bot: BotHarness, user_id: int, role: StaffRole, **scope: str) -> None:
    async with database(bot).transaction() as session:
        await staff.add(session, telegram_user_id=user_id, role=role, **scope)  # type: ignore[arg-type]


async def audit_rows(bot: BotHarness, action: str) -> list[AuditEvent]:
    async with database(bot).transaction() as session:
        rows = await session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
        return list(rows)
