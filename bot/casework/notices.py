"""Texts casework puts in the outbox and the screens staff see, rendered from templates.

Also the small vocabulary the window and department services share: who pressed (``Actor``),
what a press carries (``Press``, parsed from short self-describing callback data) and what to
show afterwards (``StaffReply``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.casework import checklist as documents_needed
from bot.casework.personal_data import mask_id_number, mask_name, mask_phone
from bot.casework.services import Casework
from bot.flows.model import Button, Label, Screen
from bot.render import RenderedScreen
from storage import staff
from storage.models import Application, DepartmentTask

Markup = dict[str, Any] | None
# A file the resident sent while several documents were asked for, before they said which.
UNNAMED_DOCUMENT = "unnamed"
Keyboard = tuple[tuple[Button, ...], ...]

# "w|<application>|<verb>[|arg…]" for the window, "t|<task>|<verb>[|arg…]" for departments.
# Every part is checked again by the service that acts on it: this only rejects garbage.
_PRESS = re.compile(
    r"(?P<kind>[wt])\|(?P<id>\d{1,15})\|(?P<verb>[a-z_]{1,20})(?P<args>(\|[\w-]{1,24}){0,3})\Z"
)


@dataclass(frozen=True, slots=True)
class Press:
    kind: str  # w | t
    target: int  # application id (w) or task id (t)
    verb: str
    args: tuple[str, ...] = ()


def parse_press(data: str | None) -> Press | None:
    """The parts of staff callback data; None for anything not of our making."""
    match = _PRESS.match(data or "")
    if match is None:
        return None
    args = tuple(part for part in match["args"].split("|") if part)
    return Press(match["kind"], int(match["id"]), match["verb"], args)


@dataclass(frozen=True, slots=True)
class Actor:
    """A person pressing a staff button or replying in a staff chat."""

    user_id: int
    chat_id: int | None
    name: str  # their Telegram name, used when the registry has no display name


@dataclass(slots=True)
class StaffReply:
    """What the handler shows once the transaction has committed."""

    toast: str | None = None
    alert: bool = False  # a refusal pops up, so it is not missed
    edit: RenderedScreen | None = None  # the message pressed or replied to, re-rendered
    reply: RenderedScreen | None = None  # a new message in the chat, replying to the person
    private: RenderedScreen | None = None  # unmasked details: to the person privately, only
    # The person must start a private chat with the bot first (the handler knows its link).
    needs_private_chat: bool = False
    start_key: str = "window.details_start_bot"  # the toast that gives the link
    wake: bool = False  # outbox rows were written: wake the dispatcher


async def display_name(session: AsyncSession, actor_id: int | None, fallback: str = "") -> str:
    """The registry's display name of a staff member, else ``fallback``, else their id."""
    if actor_id is None:
        return fallback
    for member in await staff.roles_of(session, telegram_user_id=actor_id):
        if member.display_name:
            return member.display_name
    return fallback or f"#{actor_id}"


def render(casework: Casework, screen: Screen, locale: str | None = None) -> RenderedScreen:
    return casework.renderer.render(screen, locale or casework.staff_locale)


def as_markup(screen: Screen, casework: Casework, locale: str) -> tuple[str, Markup]:
    rendered = casework.renderer.render(screen, locale)
    return rendered.text, rendered.markup.to_dict() if rendered.markup else None


def receipt(
    casework: Casework,
    application: Application,
    tasks: Sequence[DepartmentTask],
    missing: Sequence[str],
) -> tuple[str, Markup]:
    """The submission receipt (提交回执): number, programmes, every missing document at once.

    Not an acceptance: the acceptance notice (受理通知) follows when the window accepts, and
    the time limits start then (window.py).
    """
    profile = casework.profile
    screen = Screen(
        "casework/receipt.html",
        {
            "application": application,
            "tasks": [(t, profile.programme(t.programme_id)) for t in tasks],
            "missing": [document_name(casework, doc, application.locale) for doc in missing],
            "town": profile.town(application.town_id),
        },
    )
    return as_markup(screen, casework, application.locale)


def alert_buttons(application_id: int) -> Keyboard:
    a = application_id
    return (
        (
            Button(Label.of("staff.accept"), f"w|{a}|accept"),
            Button(Label.of("staff.request_documents"), f"w|{a}|documents"),
        ),
        (
            Button(Label.of("staff.reject"), f"w|{a}|reject"),
            Button(Label.of("staff.details"), f"w|{a}|details"),
        ),
    )


def alert_screen(
    casework: Casework,
    application: Application,
    tasks: Sequence[DepartmentTask],
    missing: Sequence[str],
    *,
    outcome: str | None = None,
    prompt: str | None = None,
    keyboard: Keyboard | None = None,
) -> Screen:
    """The window's alert: town, programmes, urgency, masked personal data, and what was done."""
    profile = casework.profile
    return Screen(
        "staff/alert.html",
        {
            "application": application,
            "town": profile.town(application.town_id),
            "programmes": [profile.programme(t.programme_id) for t in tasks],
            "applicant": mask_name(application.applicant_name),
            "subject": mask_name(application.subject_name),
            "id_number": mask_id_number(application.subject_id_number),
            # A child's guardian: masked like every name in a group chat.
            "guardian": mask_name(application.guardian_name or ""),
            "guardian_relationship": guardian_relationship(casework, application),
            "phone": mask_phone(application.applicant_phone),
            "missing": [document_name(casework, doc) for doc in missing],
            "outcome": outcome,
            "prompt": prompt,
        },
        alert_buttons(application.id) if keyboard is None else keyboard,
    )


def guardian_relationship(casework: Casework, application: Application) -> str:
    """How the guardian of a child applied for is related to the child, in the staff's words."""
    code = application.guardian_relationship
    if not code:
        return ""
    key = f"application.guardian_relationship.{code}"
    catalogue = casework.renderer.catalogue(casework.staff_locale)
    return catalogue.text(Label(key)) if key in catalogue.entries else code


def staff_alert(
    casework: Casework,
    application: Application,
    tasks: Sequence[DepartmentTask],
    missing: Sequence[str],
) -> tuple[str, Markup]:
    screen = alert_screen(casework, application, tasks, missing)
    return as_markup(screen, casework, casework.staff_locale)


def staff_digest(
    casework: Casework, applications: Sequence[Application], programmes: dict[int, int]
) -> tuple[str, Markup]:
    """Many new applications in one message, each with an "open" button for its full alert."""
    profile = casework.profile
    entries = [(a, profile.town(a.town_id), programmes.get(a.id, 0)) for a in applications]
    buttons = [Button(f"📂 {a.number}", f"w|{a.id}|open") for a in applications]
    screen = Screen(
        "staff/digest.html",
        {"entries": entries},
        tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)),
    )
    return as_markup(screen, casework, casework.staff_locale)


def document_name(casework: Casework, document_id: str, locale: str | None = None) -> str:
    """The document's name; for a household member's copy, whose it is."""
    if document_id == UNNAMED_DOCUMENT:
        return casework.renderer.text(Label("upload.unnamed"), locale or casework.staff_locale)
    return documents_needed.item_name(
        casework.profile, casework.renderer, document_id, locale or casework.staff_locale
    )


def checklist(
    casework: Casework,
    programme_ids: Sequence[str],
    application: Application | None = None,
    *,
    for_staff: bool = False,
) -> list[str]:
    """The documents the programmes ask of this application (its facts and household), once
    each, in the profile's order; without an application, only those that always apply.

    ``for_staff``: staff picking what to ask for also see the programmes' other documents
    after these (what the resident told us may be incomplete; staff may know better).
    """
    items = documents_needed.items(
        casework.profile,
        programme_ids,
        facts=application.facts if application is not None else {},
        household=application.household if application is not None else (),
    )
    if for_staff:
        shown = {documents_needed.split(item)[0] for item in items}
        for programme_id in programme_ids:
            programme = casework.profile.programme(programme_id)
            for document in programme.documents if programme is not None else ():
                if document.id not in shown:
                    shown.add(document.id)
                    items.append(document.id)
    return items


def picked(items: Sequence[str], mask: int) -> list[str]:
    """The items whose bit is set in ``mask`` (selection kept in the callback data itself)."""
    return [item for index, item in enumerate(items) if mask >> index & 1]


def mask_of(items: Sequence[str], chosen: Sequence[str]) -> int:
    return sum(1 << index for index, item in enumerate(items) if item in chosen)


def parse_mask(text: str, size: int) -> int | None:
    """A hex selection mask that fits ``size`` items; None when forged or stale."""
    try:
        value = int(text, 16)
    except ValueError:
        return None
    return value if 0 <= value < (1 << size) else None


def document_picker(casework: Casework, prefix: str, items: Sequence[str], mask: int) -> Keyboard:
    """Toggle buttons (☑/☐) for each item, then confirm and back."""
    rows: list[tuple[Button, ...]] = []
    for index, item in enumerate(items):
        mark = "☑️" if mask >> index & 1 else "⬜"
        rows.append(
            (Button(f"{mark} {document_name(casework, item)}", f"{prefix}|{mask:x}|{index}"),)
        )
    return tuple(rows)


def label(casework: Casework, key: str, **params: Any) -> str:
    """A short staff text in the staff locale."""
    return casework.renderer.text(Label.of(key, **params), casework.staff_locale)


def refusal(casework: Casework, reason: str) -> StaffReply:
    """A kind answer to a refused press; the audit row already says exactly why."""
    if reason.startswith("anonymous"):
        key = "staffmsg.refused_anonymous"
    elif "outside" in reason:
        key = "staffmsg.refused_chat"
    else:
        key = "staffmsg.refused_role"
    return StaffReply(toast=label(casework, key), alert=True)


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
