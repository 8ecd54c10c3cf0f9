"""Who may press which staff button, in which chat — checked on every action, and audited.

Roles live in the database (``yimen staff add``); administrators also come from
``YIMEN_ADMIN_IDS``. A button only works in the chat it belongs to: window actions in the
window-staff chat, a department's actions in that department's chat. Telegram's own account
(777000) and the anonymous group admin (1087968824) are never anyone.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.casework.services import Casework
from storage import staff
from storage.models import StaffRole


@dataclass(frozen=True, slots=True)
class Actor:
    """A person pressing a staff button or replying in a staff chat."""

    user_id: int
    chat_id: int | None
    name: str  # their Telegram name, used when the registry has no display name


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    reason: str  # for the audit row and, kindly worded by the caller, for the person


async def authorise(
    session: AsyncSession,
    casework: Casework,
    *,
    user_id: int,
    chat_id: int | None,
    role: StaffRole,
    action: str,
    subject: str | None = None,
    town_id: str | None = None,
    department_id: str | None = None,
    admin_ids: tuple[int, ...] = (),
) -> Decision:
    """Decide, and append the audit row (allowed or refused) in the caller's transaction."""
    decision = await _decide(
        session,
        casework,
        user_id=user_id,
        chat_id=chat_id,
        role=role,
        town_id=town_id,
        department_id=department_id,
        admin_ids=admin_ids,
    )
    staff.audit(
        session,
        actor_id=user_id,
        chat_id=chat_id,
        action=action,
        subject=subject,
        outcome="allowed" if decision.allowed else "refused",
        detail={} if decision.allowed else {"reason": decision.reason},
        at=casework.clock(),
    )
    return decision


async def _decide(
    session: AsyncSession,
    casework: Casework,
    *,
    user_id: int,
    chat_id: int | None,
    role: StaffRole,
    town_id: str | None,
    department_id: str | None,
    admin_ids: tuple[int, ...],
) -> Decision:
    if user_id in staff.NEVER_STAFF:
        return Decision(False, "anonymous or service account")
    roles = await staff.roles_of(session, telegram_user_id=user_id)
    if role is StaffRole.ADMIN:
        if user_id in admin_ids or any(r.role == StaffRole.ADMIN for r in roles):
            return Decision(True, "administrator")
        return Decision(False, "not an administrator")
    if role is StaffRole.WINDOW:
        if chat_id != casework.staff_chat_id:
            return Decision(False, "window action outside the window-staff chat")
        if any(r.role == StaffRole.WINDOW and r.town_id in (None, town_id) for r in roles):
            return Decision(True, "window staff")
        return Decision(False, f"no window role for town {town_id}")
    if department_id is None or chat_id != casework.department_chats.get(department_id):
        return Decision(False, "department action outside that department's chat")
    if any(r.role == StaffRole.DEPARTMENT and r.department_id == department_id for r in roles):
        return Decision(True, "department staff")
    return Decision(False, f"no role in department {department_id}")
