"""The staff registry (roles in the database) and the append-only audit trail."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEvent, StaffMember, StaffRole
from storage.types import utcnow

# Telegram's own service account and the stand-in for anonymous group admins: whoever is
# behind them is unknown, so they never hold a role (telegram.md).
NEVER_STAFF = frozenset({777000, 1087968824})


async def roles_of(session: AsyncSession, *, telegram_user_id: int) -> Sequence[StaffMember]:
    if telegram_user_id in NEVER_STAFF:
        return ()
    return (
        await session.scalars(
            select(StaffMember).where(StaffMember.telegram_user_id == telegram_user_id)
        )
    ).all()


async def add(
    session: AsyncSession,
    *,
    telegram_user_id: int,
    role: StaffRole,
    town_id: str | None = None,
    department_id: str | None = None,
    display_name: str | None = None,
    added_by: int | None = None,
) -> StaffMember:
    if telegram_user_id in NEVER_STAFF:
        raise ValueError(f"{telegram_user_id} is a Telegram service account and cannot be staff")
    existing = await session.scalar(
        select(StaffMember).where(
            StaffMember.telegram_user_id == telegram_user_id,
            StaffMember.role == role,
            StaffMember.town_id.is_(None) if town_id is None else StaffMember.town_id == town_id,
            StaffMember.department_id.is_(None)
            if department_id is None
            else StaffMember.department_id == department_id,
        )
    )
    if existing is not None:
        return existing
    member = StaffMember(
        telegram_user_id=telegram_user_id,
        role=role,
        town_id=town_id,
        department_id=department_id,
        display_name=display_name,
        added_by=added_by,
        added_at=utcnow(),
    )
    session.add(member)
    await session.flush()
    return member


async def remove(
    session: AsyncSession, *, telegram_user_id: int, role: StaffRole | None = None
) -> int:
    statement = delete(StaffMember).where(StaffMember.telegram_user_id == telegram_user_id)
    if role is not None:
        statement = statement.where(StaffMember.role == role)
    result = await session.execute(statement)
    return int(getattr(result, "rowcount", 0) or 0)


async def everyone(session: AsyncSession) -> Sequence[StaffMember]:
    return (
        await session.scalars(
            select(StaffMember).order_by(StaffMember.role, StaffMember.telegram_user_id)
        )
    ).all()


def audit(
    session: AsyncSession,
    *,
    actor_id: int | None,
    action: str,
    outcome: str,
    chat_id: int | None = None,
    subject: str | None = None,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    """Append one audit row in the caller's transaction (never updated; retention deletes it)."""
    session.add(
        AuditEvent(
            actor_id=actor_id,
            chat_id=chat_id,
            action=action,
            subject=subject,
            outcome=outcome,
            detail=detail or {},
            created_at=at or utcnow(),
        )
    )
