"""The small vocabulary of the staff screens: what to show after a press (``StaffReply``), the
staff's short texts and hints, and the kind answers to refused or forged presses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.casework.authorization import Actor, authorise
from bot.casework.services import Casework
from bot.flows.model import Button, Label, Screen
from bot.policy.base import CHINA
from bot.render import RenderedScreen
from storage import staff
from storage.models import StaffRole

Keyboard = tuple[tuple[Button, ...], ...]


@dataclass(slots=True)
class StaffReply:
    """What the handler shows once the transaction has committed."""

    toast: str | None = None
    alert: bool = False  # a refusal pops up, so it is not missed
    edit: RenderedScreen | None = None  # the message pressed or replied to, re-rendered
    reply: RenderedScreen | None = None  # a new message in the chat, replying to the person
    private: RenderedScreen | None = None  # unmasked details: to the person privately, only
    # The person must start a private chat with the bot first: the label of the toast that
    # gives the link (the handler knows the link).
    start_key: str | None = None


def render(casework: Casework, screen: Screen, locale: str | None = None) -> RenderedScreen:
    return casework.renderer.render(screen, locale or casework.staff_locale)


def label(casework: Casework, key: str, **params: Any) -> str:
    """A short staff text in the staff locale."""
    return casework.renderer.text(Label.of(key, **params), casework.staff_locale)


def hint(casework: Casework, key: str, **params: Any) -> RenderedScreen:
    """A short message in the chat, e.g. what a typed answer should look like."""
    return said(casework, label(casework, key, **params))


def said(casework: Casework, text: str) -> RenderedScreen:
    """Words already in the staff's language (a refusal's toast) as a message in the chat."""
    return render(casework, Screen("staff/hint.html", {"text": text}))


def when(at: datetime) -> str:
    """A ledger line's time as staff read it (China time)."""
    return at.astimezone(CHINA).strftime("%m-%d %H:%M")


async def display_name(session: AsyncSession, actor_id: int | None, fallback: str = "") -> str:
    """The registry's display name of a staff member, else ``fallback``, else their id."""
    if actor_id is None:
        return fallback
    for member in await staff.roles_of(session, telegram_user_id=actor_id):
        if member.display_name:
            return member.display_name
    return fallback or f"#{actor_id}"


def refusal(casework: Casework, reason: str) -> StaffReply:
    """A kind answer to a refused press; the audit row already says exactly why."""
    if reason.startswith("anonymous"):
        key = "staffmsg.refused_anonymous"
    elif "outside" in reason:
        key = "staffmsg.refused_chat"
    else:
        key = "staffmsg.refused_role"
    return StaffReply(toast=label(casework, key), alert=True)


async def refused(
    session: AsyncSession,
    casework: Casework,
    actor: Actor,
    role: StaffRole,
    action: str,
    subject: str,
    *,
    town_id: str | None = None,
    department_id: str | None = None,
) -> StaffReply | None:
    """The kind refusal when ``actor`` may not take ``action`` here, else None (audited
    either way)."""
    decision = await authorise(
        session,
        casework,
        user_id=actor.user_id,
        chat_id=actor.chat_id,
        role=role,
        action=action,
        subject=subject,
        town_id=town_id,
        department_id=department_id,
    )
    return None if decision.allowed else refusal(casework, decision.reason)


def forged(session: AsyncSession, casework: Casework, actor: Actor, data: str | None) -> StaffReply:
    """Callback data we did not make (or that no longer fits anything): refuse and audit."""
    staff.audit(
        session,
        actor_id=actor.user_id,
        chat_id=actor.chat_id,
        action="staff.forged_callback",
        outcome="refused",
        detail={"data": (data or "")[:64]},
        at=casework.clock(),
    )
    return StaffReply(toast=label(casework, "staffmsg.forged"), alert=True)
