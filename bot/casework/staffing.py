"""Granting and withdrawing staff roles, for the CLI and for administrators in the bot.

Both doors check the same things (the profile knows the town or department, Telegram's service
accounts are never staff) and leave the same audit row, naming who made the change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.policy import Profile
from storage import staff
from storage.models import StaffMember, StaffRole


class StaffingError(ValueError):
    """A request that cannot be carried out; the message says why, in one line.

    ``code`` and ``params`` let the bot say the same in the administrator's language.
    """

    def __init__(self, code: str, message: str, **params: str) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


@dataclass(frozen=True, slots=True)
class RoleRequest:
    telegram_user_id: int
    role: StaffRole
    town_id: str | None = None
    department_id: str | None = None
    display_name: str | None = None


def parse_user_id(value: str) -> int:
    text = value.strip()
    if not text.lstrip("-").isdigit() or len(text) > 20:
        raise StaffingError(
            "not_a_user_id",
            f"{value!r} is not a Telegram user id (digits, e.g. 123456789)",
            value=value[:32],
        )
    user_id = int(text)
    if user_id <= 0:
        raise StaffingError(
            "chat_id", f"{user_id} is a chat id, not a person's user id", value=str(user_id)
        )
    if user_id in staff.NEVER_STAFF:
        raise StaffingError(
            "never_staff",
            f"{user_id} is a Telegram service account (anonymous admin or Telegram itself) "
            "and can never be staff",
            value=str(user_id),
        )
    return user_id


def parse_role(value: str) -> StaffRole:
    try:
        return StaffRole(value.strip().lower())
    except ValueError:
        known = ", ".join(str(role) for role in StaffRole)
        raise StaffingError(
            "unknown_role", f"unknown role {value!r}; use one of {known}", value=value[:32]
        ) from None


def validated(profile: Profile, request: RoleRequest) -> RoleRequest:
    """The request, checked against the profile; StaffingError naming the first problem."""
    parse_user_id(str(request.telegram_user_id))
    role, town, department = request.role, request.town_id, request.department_id
    if town is not None and profile.town(town) is None:
        raise StaffingError(
            "unknown_town",
            f"unknown town {town!r}; see towns.yaml of the profile for the ids",
            value=town[:32],
        )
    if department is not None and department not in profile.departments:
        raise StaffingError(
            "unknown_department",
            f"unknown department {department!r}; known: {', '.join(profile.departments)}",
            value=department[:48],
        )
    if role is StaffRole.WINDOW and department is not None:
        raise StaffingError(
            "window_scope", "window staff belong to a town (or all towns), not to a department"
        )
    if role is StaffRole.DEPARTMENT and department is None:
        raise StaffingError("department_needed", "department staff need a department id")
    if role is StaffRole.DEPARTMENT and town is not None:
        raise StaffingError(
            "department_scope", "department staff belong to a department, not to a town"
        )
    if role is StaffRole.ADMIN and (town is not None or department is not None):
        raise StaffingError("admin_scope", "administrators have neither a town nor a department")
    return request


def scope_of(profile: Profile, role: StaffRole, scope: str | None) -> RoleRequest:
    """Read the bot command's optional third word as a town or a department, by role."""
    if role is StaffRole.WINDOW:
        return RoleRequest(0, role, town_id=scope)
    if role is StaffRole.DEPARTMENT:
        return RoleRequest(0, role, department_id=scope)
    if scope is not None:
        raise StaffingError("admin_scope", "administrators have neither a town nor a department")
    return RoleRequest(0, role)


async def grant(
    session: AsyncSession,
    profile: Profile,
    request: RoleRequest,
    *,
    actor_id: int | None,
    actor: str,
    now: datetime,
) -> StaffMember:
    """Add the role (once) and the audit row, in the caller's transaction."""
    request = validated(profile, request)
    member = await staff.add(
        session,
        telegram_user_id=request.telegram_user_id,
        role=request.role,
        town_id=request.town_id,
        department_id=request.department_id,
        display_name=request.display_name,
        added_by=actor_id,
    )
    _audit(
        session,
        actor_id,
        "staff.add",
        request.telegram_user_id,
        {
            "actor": actor,
            "role": str(request.role),
            "town": request.town_id,
            "department": request.department_id,
        },
        now,
    )
    return member


async def withdraw(
    session: AsyncSession,
    *,
    telegram_user_id: int,
    role: StaffRole | None,
    actor_id: int | None,
    actor: str,
    now: datetime,
) -> int:
    """Remove the person's roles (or one role); how many were removed; always audited."""
    removed = await staff.remove(session, telegram_user_id=telegram_user_id, role=role)
    _audit(
        session,
        actor_id,
        "staff.remove",
        telegram_user_id,
        {"actor": actor, "role": str(role) if role else "all", "removed": removed},
        now,
    )
    return removed


def describe(members: Sequence[StaffMember], admin_ids: Sequence[int]) -> list[str]:
    """One plain line per role, for the CLI and the bot alike (ids, never secrets)."""
    lines = [
        f"{m.telegram_user_id}  {m.role}  {m.town_id or m.department_id or '-'}"
        f"{'  ' + m.display_name if m.display_name else ''}"
        for m in members
    ]
    lines.extend(f"{admin_id}  admin  (YIMEN_ADMIN_IDS)" for admin_id in admin_ids)
    return lines


def _audit(
    session: AsyncSession,
    actor_id: int | None,
    action: str,
    subject: int,
    detail: dict[str, Any],
    now: datetime,
) -> None:
    staff.audit(
        session,
        actor_id=actor_id,
        action=action,
        subject=f"user:{subject}",
        outcome="allowed",
        detail=detail,
        at=now,
    )
